package dev.mtl.core.spi;

import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.task.Task;

/**
 * Creates tasks of one type. Register an implementation with {@code @AutoService(TaskProvider.class)}.
 *
 * <pre>{@code
 * @AutoService(TaskProvider.class)
 * public final class MyTaskProvider implements TaskProvider {
 *   public String name() { return "my-task"; }
 *   public Task create(String taskName, ConfigSection settings) { return new MyTask(taskName, settings); }
 * }
 * }</pre>
 */
public interface TaskProvider extends Plugin {
  /**
   * Creates the task named {@code taskName} from its config section. Problems in the section are
   * recorded on it ({@link ConfigSection#problem}) rather than thrown, so a user sees all of them.
   * The section is either the user's config or a task's {@link Task#resolvedSettings()}, which must
   * be enough to serve a trained model without its data files.
   */
  Task create(String taskName, ConfigSection settings);
}
