package com.example.mtl.regression;

import com.google.auto.service.AutoService;
import dev.mtl.core.config.ConfigSection;
import dev.mtl.core.spi.TaskProvider;
import dev.mtl.core.task.Task;

/**
 * The {@code text-regression} task type: one real value per text (e.g. a 0-4 sentiment level),
 * trained with MSE or Huber loss, evaluated by Pearson and Spearman correlation, RMSE and MAE.
 *
 * <pre>
 * - name: sst1
 *   type: text-regression
 *   format: label-text        # any mtl row format: label-text, tsv, csv, jsonl
 *   loss: mse                 # or huber
 *   scale: standard           # standardise targets with the training mean and deviation; or none
 *   train: stsa.fine.train
 * </pre>
 */
@AutoService(TaskProvider.class)
public final class TextRegressionProvider implements TaskProvider {
  public static final String NAME = "text-regression";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String description() {
    return "one real value per text; MSE or Huber loss; Pearson, Spearman, RMSE, MAE";
  }

  @Override
  public Task create(String taskName, ConfigSection settings) {
    return new TextRegressionTask(taskName, settings);
  }
}
