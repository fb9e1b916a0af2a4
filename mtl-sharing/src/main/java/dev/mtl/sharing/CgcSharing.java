package dev.mtl.sharing;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.model.SharingStrategy;
import dev.mtl.core.spi.SharingStrategyProvider;
import java.util.List;

/**
 * Customized gate control (CGC, Tang et al., RecSys 2020, the single-level building block of
 * {@link PleSharing PLE}): {@code shared-experts} encoders every task may use and
 * {@code task-experts} encoders per task that only it uses; each task's head reads its own softmax
 * gate over its experts and the shared ones. Against MMoE, every task keeps capacity no other task
 * can take over.
 *
 * <pre>
 * sharing: {type: cgc, shared-experts: 2, task-experts: 1}
 * </pre>
 */
@AutoService(SharingStrategyProvider.class)
public final class CgcSharing implements SharingStrategyProvider {
  @Override
  public String name() {
    return "cgc";
  }

  @Override
  public String description() {
    return "shared and task-specific expert encoders with a gate per task (CGC, Tang et al. 2020)";
  }

  @Override
  public SharingStrategy create(ConfigSection settings, List<String> taskNames) {
    int shared = settings.integer("shared-experts", 2, 1, 32);
    int perTask = settings.integer("task-experts", 1, 1, 32);
    return (model, heads) -> PleSharing.describe(model, heads, 1, shared, perTask);
  }
}
