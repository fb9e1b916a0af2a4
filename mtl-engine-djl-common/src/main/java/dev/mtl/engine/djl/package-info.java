/** What mtl's DJL modules set up alike: DJL kept offline, its cache folder, TensorFlow's natives found without a download. */
package dev.mtl.engine.djl;
