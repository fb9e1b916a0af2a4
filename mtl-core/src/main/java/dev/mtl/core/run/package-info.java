/** What a run is: its config, training settings, model selection and the baselines it is compared with. */
package dev.mtl.core.run;
