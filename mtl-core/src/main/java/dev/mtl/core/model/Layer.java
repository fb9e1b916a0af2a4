package dev.mtl.core.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One node of an engine-neutral network description. Engines lower each kind once; sharing
 * strategies compose them. Every layer has an id unique in its {@link ModelGraph}; a layer owns
 * the parameters named {@code <id>.*}, and layers never share parameters except through {@link
 * #base()} and an {@link AdaptedTransformer}'s transformer.
 *
 * <p>Sequence layers output {@code (batch, time, width)} and are zero at padding; vector layers
 * output {@code (batch, width)}.
 */
public sealed interface Layer permits Layer.Embedding, Layer.Features, Layer.Transformer, Layer.AdaptedTransformer, Layer.Encoder,
    Layer.Pool, Layer.Mix, Layer.Gate, Layer.TaskAttention, Layer.LabelFeed, Layer.Concat, Layer.GradientReversal {
  String id();

  /** The layers this one reads; empty for the embedding, which reads token ids. */
  List<String> inputs();

  /**
   * Another layer of the same kind and shape whose parameters are added to this layer's own:
   * effective θ = θ_base + θ_own, with θ_own starting at zero (shared plus private parameters).
   */
  default Optional<String> base() {
    return Optional.empty();
  }

  /** Token ids to vectors of {@code size} (a sequence); dropout applies in training. */
  record Embedding(String id, int size, double dropout, Optional<String> base) implements Layer {
    public Embedding(String id, int size, double dropout) {
      this(id, size, dropout, Optional.empty());
    }

    @Override
    public List<String> inputs() {
      return List.of();
    }
  }

  /**
   * Each text's vector from a frozen pretrained sentence encoder, computed outside the network and
   * given with the batch, as a one-position sequence of {@code size}; dropout applies in training.
   * Everything above it (encoders, pooling, gates, heads) stacks on it as on an embedding.
   */
  record Features(String id, int size, double dropout) implements Layer {
    @Override
    public List<String> inputs() {
      return List.of();
    }
  }

  /**
   * A BERT-style transformer encoder over token ids (Devlin et al. 2019), a sequence zero at
   * padding: token, position and type-0 embeddings with a layer norm, then {@code shape.layers()}
   * post-norm blocks of multi-head self-attention (padding masked out) and a GELU feed-forward.
   * Its token ids index its own vocabulary ({@code shape.vocabularySize()}, a pretrained
   * tokenizer's), so a graph holds no {@link Embedding} beside it. Parameters are named as in
   * HuggingFace's {@code BertModel} under {@code <id>.} (e.g. {@code
   * <id>.encoder.layer.0.attention.self.query.weight}, linear weights {@code (out, in)}), so
   * pretrained weights load by name; dropout applies in training after the embeddings, to the
   * attention probabilities and to each block's two outputs, as in BERT. Only the top {@code
   * trainLayers} blocks train (all of them: the embeddings too; 0: none).
   */
  record Transformer(String id, TransformerShape shape, double dropout, int trainLayers) implements Layer {
    public Transformer {
      if (dropout < 0 || dropout >= 1) {
        throw new IllegalArgumentException("transformer '" + id + "' needs a dropout in [0, 1), got " + dropout);
      }
      if (trainLayers < 0 || trainLayers > shape.layers()) {
        throw new IllegalArgumentException("transformer '" + id + "' trains between 0 and " + shape.layers() + " layers, not "
            + trainLayers);
      }
    }

    /** Every block and the embeddings train. */
    public Transformer(String id, TransformerShape shape, double dropout) {
      this(id, shape, dropout, shape.layers());
    }

    /** Whether block {@code layer} (0 at the bottom) trains. */
    public boolean trains(int layer) {
      return layer >= shape.layers() - trainLayers;
    }

    /** Whether the embeddings train: only when every block does. */
    public boolean trainsEmbeddings() {
      return trainLayers == shape.layers();
    }

    @Override
    public List<String> inputs() {
      return List.of();
    }
  }

  /**
   * Transformer {@code transformerId}'s pass over token ids with this layer's own bottleneck
   * adapters inside every block (Houlsby et al. 2019): after each block's attention output and
   * feed-forward output (after their dropout, before the residual sum and layer norm), {@code h ← h
   * + W_up · gelu(W_down · h + b_down) + b_up} with {@code adapterSize} units. The transformer's
   * parameters are read, not copied: one transformer serves every task's adapters. {@code W_up}
   * and {@code b_up} start at zero, so a fresh adapter is the identity and the pass starts as the
   * transformer's own. Parameters: {@code <id>.encoder.layer.<l>.attention.adapter.down.weight}
   * (and {@code .bias}, {@code up}, and {@code output.adapter} for the feed-forward's).
   */
  record AdaptedTransformer(String id, String transformerId, int adapterSize) implements Layer {
    public AdaptedTransformer {
      if (adapterSize < 1) {
        throw new IllegalArgumentException("adapters of '" + id + "' need at least 1 unit, not " + adapterSize);
      }
    }

    @Override
    public List<String> inputs() {
      return List.of();
    }
  }

  /** A sequence to a sequence. */
  record Encoder(String id, String inputId, EncoderKind kind, int hiddenSize, Optional<String> base) implements Layer {
    public Encoder(String id, String inputId, EncoderKind kind, int hiddenSize) {
      this(id, inputId, kind, hiddenSize, Optional.empty());
    }

    @Override
    public List<String> inputs() {
      return List.of(inputId);
    }
  }

  /** A sequence to one vector; padding never counts. */
  record Pool(String id, String inputId, PoolKind kind) implements Layer {
    @Override
    public List<String> inputs() {
      return List.of(inputId);
    }
  }

  /**
   * Cross-stitch mixing (Misra et al. 2016): row {@code row} of a learned T x T matrix α owned by
   * {@code unit}, applied to T inputs of one shape: {@code Σ_j α[row][j] · input_j}. The T layers of
   * one unit (rows 0..T-1) share α, which starts with {@code selfWeight} on the diagonal and the
   * rest spread evenly. Works on sequences or vectors.
   */
  record Mix(String id, List<String> inputIds, int row, String unit, double selfWeight, Optional<Branching> branching)
      implements Layer {
    public Mix {
      inputIds = List.copyOf(inputIds);
    }

    /** A cross-stitch mix: the row's weights as they are. */
    public Mix(String id, List<String> inputIds, int row, String unit, double selfWeight) {
      this(id, inputIds, row, unit, selfWeight, Optional.empty());
    }

    @Override
    public List<String> inputs() {
      return inputIds;
    }
  }

  /**
   * Learning to Branch (Guo, Lee and Ulbricht, "Learning to Branch for Multi-Task Learning", ICML
   * 2020) on a {@link Mix}: the row of α holds logits over the inputs (the parent branches), starting
   * equal. In training the row's weights are a hard Gumbel-softmax sample: one parent, chosen with
   * probability softmax(α), with the straight-through gradient of the soft sample at temperature
   * {@link #temperature(long)}; at inference the row reads its most likely parent only. Tasks that
   * settle on the same parent share it: the tree of shared and task-specific layers is learned.
   *
   * @param initialTemperature τ at step 0
   * @param halfLife steps until τ has fallen by √2: {@code τ = initialTemperature / √(1 + step / halfLife)}
   */
  record Branching(double initialTemperature, double halfLife) {
    public Branching {
      if (!(initialTemperature > 0) || Double.isInfinite(initialTemperature)) {
        throw new IllegalArgumentException("branching needs a finite temperature > 0, not " + initialTemperature);
      }
      if (!(halfLife > 0) || Double.isInfinite(halfLife)) {
        throw new IllegalArgumentException("branching needs a finite temperature half-life > 0 steps, not " + halfLife);
      }
    }

    /** The Gumbel-softmax temperature at a 0-based optimizer step: high early (exploring parents), falling as training goes. */
    public double temperature(long step) {
      return initialTemperature / Math.sqrt(1 + step / halfLife);
    }
  }

  /**
   * A mixture-of-experts gate (MMoE, Ma et al. 2018): {@code softmax(W · gateInput + b)}, one weight
   * per expert and text, weighs the experts' outputs. The gate input is a vector layer; the experts
   * are all vectors, or all sequences (weighted at every position, as PLE's lower extraction
   * levels do; padding stays zero). With {@code sparse} the weights come from DSelect-k instead of
   * a softmax.
   */
  record Gate(String id, List<String> expertIds, String gateInputId, Optional<DSelect> sparse) implements Layer {
    public Gate {
      expertIds = List.copyOf(expertIds);
      int n = expertIds.size();
      if (sparse.isPresent() && (n < 2 || Integer.bitCount(n) != 1)) {
        throw new IllegalArgumentException("gate '" + id + "' selects experts by binary code, so it needs a power of two of them"
            + " (2, 4, 8, ...), not " + n);
      }
    }

    /** A softmax gate. */
    public Gate(String id, List<String> expertIds, String gateInputId) {
      this(id, expertIds, gateInputId, Optional.empty());
    }

    /**
     * Outputs of the gate's linear map of its input: one logit per expert for a softmax gate;
     * {@code selectors · (bits + 1)} for DSelect-k (each selector's binary code and its mixing logit).
     */
    public int logits() {
      return sparse.map(d -> d.selectors() * (DSelect.bits(expertIds.size()) + 1)).orElse(expertIds.size());
    }

    @Override
    public List<String> inputs() {
      List<String> all = new ArrayList<>(expertIds);
      all.add(gateInputId);
      return all;
    }
  }

  /**
   * DSelect-k expert selection (Hazimeh, Zhao, Chowdhery, Sathiamoorthy, Chen, Mazumder, Hong and
   * Chi, "DSelect-k: Differentiable Selection in the Mixture of Experts with Applications to
   * Multi-Task Learning", NeurIPS 2021): each of {@code selectors} selectors reads
   * {@code m = ⌈log₂ n⌉} numbers z from the gate's input and weighs expert i by
   * {@code Π_j (b_ij S(z_j) + (1 − b_ij)(1 − S(z_j)))}, b_i being i's binary code and S the cubic
   * smooth step {@code S(t) = −2t³/γ³ + 3t/(2γ) + ½} on {@code [−γ/2, γ/2]} (0 below, 1 above). S
   * reaches exactly 0 and 1, so a selector can settle on one expert and its gradient then stops:
   * selection is sparse and still trained by gradient descent. The selectors' choices are mixed by a
   * softmax over their own logits. n must be a power of two, so every code names an expert.
   */
  record DSelect(int selectors, double gamma) {
    public DSelect {
      if (selectors < 1) {
        throw new IllegalArgumentException("DSelect-k needs at least 1 selector, not " + selectors);
      }
      if (!(gamma > 0) || Double.isInfinite(gamma)) {
        throw new IllegalArgumentException("DSelect-k's smooth step needs a finite width γ > 0, not " + gamma);
      }
    }

    /** Bits of the binary code that numbers {@code experts} experts: ⌈log₂ experts⌉, at least 1. */
    public static int bits(int experts) {
      return Math.max(1, 32 - Integer.numberOfLeadingZeros(experts - 1));
    }

    /** Every expert's binary code, {@code experts x bits(experts)} row-major: bit j of expert i is {@code (i >> j) & 1}. */
    public static float[] codes(int experts) {
      int m = bits(experts);
      float[] codes = new float[experts * m];
      for (int i = 0; i < experts; i++) {
        for (int j = 0; j < m; j++) {
          codes[i * m + j] = (i >> j) & 1;
        }
      }
      return codes;
    }
  }

  /**
   * A task's soft attention over a shared sequence (MTAN, Liu, Johns and Davison, "End-to-End
   * Multi-Task Learning with Attention", CVPR 2019): at every position
   * {@code sigmoid(W [x ; context] + b) ⊙ x}, one mask value per feature, so the task picks what it
   * needs from the shared features. {@code context}, when present, is the task's attended sequence
   * from the level below (the same texts, any width), as MTAN's attention modules read the previous
   * module's output. Padding stays zero.
   */
  record TaskAttention(String id, String inputId, Optional<String> contextId) implements Layer {
    @Override
    public List<String> inputs() {
      List<String> all = new ArrayList<>();
      all.add(inputId);
      contextId.ifPresent(all::add);
      return all;
    }
  }

  /**
   * A sequence with a lower task's predicted label distribution appended to every position (the
   * Joint Many-Task model's label embeddings, Hashimoto et al. 2017). The task's head must read a
   * layer declared before this one.
   */
  record LabelFeed(String id, String inputId, String task) implements Layer {
    @Override
    public List<String> inputs() {
      return List.of(inputId);
    }
  }

  /** Vectors side by side: the output is as wide as the inputs together. */
  record Concat(String id, List<String> inputIds) implements Layer {
    public Concat {
      inputIds = List.copyOf(inputIds);
      if (inputIds.isEmpty()) {
        throw new IllegalArgumentException("concat '" + id + "' needs at least one input");
      }
    }

    @Override
    public List<String> inputs() {
      return inputIds;
    }
  }

  /**
   * The identity going forward; going back, the gradient times {@code -scale} (Ganin and Lempitsky
   * 2015). A classifier reading it learns to tell something from its input while the layers below
   * learn to hide it. Works on sequences or vectors.
   */
  record GradientReversal(String id, String inputId, double scale) implements Layer {
    public GradientReversal {
      if (scale < 0 || !Double.isFinite(scale)) {
        throw new IllegalArgumentException("gradient reversal '" + id + "' needs a finite scale of at least 0, got " + scale);
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(inputId);
    }
  }
}
