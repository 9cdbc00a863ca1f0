private sealed class CudaCore : global::System.IDisposable
        {
            private const long GradientGraph = 1L << 32, PredictGraph = 2L << 32, UpdateGraph = 3L << 32, SoftGradientGraph = 4L << 32, ClippedByValue = 1L << 40, ClippedByNorm = 1L << 41; // graph keys: the kind | the clipping | B
            private readonly global::NetGen.Cuda.CudaNetworkRuntime _rt;
            private readonly global::NetGen.Cuda.CudaKernels _k;

            // Parameters (state_dict order), their gradients and the optimizer state (_velocity): views into the state arena.
            private readonly global::NetGen.Cuda.DeviceView<float> P_L0_Weight, G_L0_Weight, _velocity_L0_Weight; // "0.weight" [8, 6]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L0_Bias, G_L0_Bias, _velocity_L0_Bias; // "0.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L3_Weight, G_L3_Weight, _velocity_L3_Weight; // "3.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L3_Bias, G_L3_Bias, _velocity_L3_Bias; // "3.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L7_Weight, G_L7_Weight, _velocity_L7_Weight; // "7.weight" [6, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L7_Bias, G_L7_Bias, _velocity_L7_Bias; // "7.bias" [6]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L9_Weight, G_L9_Weight, _velocity_L9_Weight; // "9.weight" [3, 6]
            // The step's results in double, copied back in one piece: [0] Σ loss terms, then Σg² of each gradient.
            private readonly global::NetGen.Cuda.DeviceView<double> _results;
            private readonly double[] _host = new double[16];

            // Per-row views [B, n] into the activation arena, laid out for the rows of the call: the input, each stored node output and
            // cache, each gradient, the targets and the loss terms.
            private int _rows;
            private global::NetGen.Cuda.DeviceView<float> _x; // input [B, 6]
            private global::NetGen.Cuda.DeviceView<float> A_L1_Y; // tanh_1 output [B, 8] (the store of [0]'s GEMM epilogue)
            private global::NetGen.Cuda.DeviceView<float> A_L2_Y; // vanilladropout_2 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Mask; // vanilladropout_2 mask [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L3_Y; // dense_3 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L4_Y; // gaussiandropout_4 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L4_Mask; // gaussiandropout_4 mask [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L5_Y; // standout_5 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L5_Mask; // standout_5 mask [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L6_Y; // relu_6 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L7_Y; // dropconnect_7 output [B, 6]
            private global::NetGen.Cuda.DeviceView<float> A_L8_Y; // tanh_8 output [B, 6]
            private global::NetGen.Cuda.DeviceView<float> A_L9_Y; // dropconnect_9 output [B, 3]
            private global::NetGen.Cuda.DeviceView<float> D_L0_Y; // ∂L/∂(dense_0 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L1_Y; // ∂L/∂(tanh_1 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Y; // ∂L/∂(vanilladropout_2 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L3_Y; // ∂L/∂(dense_3 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L4_Y; // ∂L/∂(gaussiandropout_4 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L5_Y; // ∂L/∂(standout_5 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L6_Y; // ∂L/∂(relu_6 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L7_Y; // ∂L/∂(dropconnect_7 output) [B, 6]
            private global::NetGen.Cuda.DeviceView<float> D_L8_Y; // ∂L/∂(tanh_8 output) [B, 6]
            private global::NetGen.Cuda.DeviceView<float> D_L9_Y; // ∂L/∂(dropconnect_9 output) [B, 3]
            private global::NetGen.Cuda.DeviceView<int> _targets; // labels [B]
            private global::NetGen.Cuda.DeviceView<float> _targetProbabilities; // target distributions [B, 3] (soft targets)
            private global::NetGen.Cuda.DeviceView<double> _lossTerms; // loss terms in double [B]

            // This call's values, read by the launch methods when they run, are captured or are replayed (a replay rewrites the nodes
            // whose arguments changed: the learning rate and step of the update, the dropout keys).
            private int _B;
            private ulong _seed;
            private long _step;
            private double _learningRate;
            private double? _clipValue, _clipNorm; // ClipGradientValue and ClipGradientNorm of this TrainStep (null: none; ComputeGradients never clips)
            private readonly global::System.Action _gradientLaunches, _softGradientLaunches, _predictLaunches, _updateLaunches;

            /// <summary>Opens GPU 0, loads the kernels and allocates the state arena: the parameters (uploaded by Upload), their
            /// gradients and the optimizer state (zero), in one allocation.</summary>
            public CudaCore()
            {
                _rt = new global::NetGen.Cuda.CudaNetworkRuntime("DropoutGpuNet");
                _k = _rt.Kernels;
                global::NetGen.Cuda.DeviceArena state = _rt.State(global::NetGen.Cuda.DeviceArena.Size(4L * 48, 4L * 48, 4L * 48, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 48, 4L * 48, 4L * 48, 4L * 6, 4L * 6, 4L * 6, 4L * 18, 4L * 18, 4L * 18, 8L * 16));
                P_L0_Weight = state.Take<float>(48);
                G_L0_Weight = state.Take<float>(48);
                _velocity_L0_Weight = state.Take<float>(48);
                P_L0_Bias = state.Take<float>(8);
                G_L0_Bias = state.Take<float>(8);
                _velocity_L0_Bias = state.Take<float>(8);
                P_L3_Weight = state.Take<float>(64);
                G_L3_Weight = state.Take<float>(64);
                _velocity_L3_Weight = state.Take<float>(64);
                P_L3_Bias = state.Take<float>(8);
                G_L3_Bias = state.Take<float>(8);
                _velocity_L3_Bias = state.Take<float>(8);
                P_L7_Weight = state.Take<float>(48);
                G_L7_Weight = state.Take<float>(48);
                _velocity_L7_Weight = state.Take<float>(48);
                P_L7_Bias = state.Take<float>(6);
                G_L7_Bias = state.Take<float>(6);
                _velocity_L7_Bias = state.Take<float>(6);
                P_L9_Weight = state.Take<float>(18);
                G_L9_Weight = state.Take<float>(18);
                _velocity_L9_Weight = state.Take<float>(18);
                _results = state.Take<double>(16);
                _gradientLaunches = () =>
                {
                    DataGradients(_B, soft: false);
                    ClipByValue();
                    ClipByNorm();
                    RegularizationBackward();
                    Sums();
                };
                _softGradientLaunches = () =>
                {
                    DataGradients(_B, soft: true);
                    ClipByValue();
                    ClipByNorm();
                    RegularizationBackward();
                    Sums();
                };
                _predictLaunches = () => Forward(_B, training: false, _seed, _step);
                _updateLaunches = () => Update(_step, _learningRate);
            }

            /// <summary>CUDA graphs (true) or launch by launch (false).</summary>
            public bool Graphs
            {
                get => _rt.Graphs;
                set => _rt.Graphs = value;
            }

            /// <summary>Frees the arenas, the graphs, the stream and the kernels (idempotent); every call afterwards throws.</summary>
            public void Dispose() => _rt.Dispose();

            /// <summary>Lays the per-row views out for <paramref name="B"/> rows in the activation arena, which grows only when B is
            /// larger than every B before (the launches read a view's length).</summary>
            private void Rows(int B)
            {
                if (B == _rows)
                {
                    return;
                }

                _rows = B;
                global::NetGen.Cuda.DeviceArena a = _rt.Activations(global::NetGen.Cuda.DeviceArena.Size(4L * B * 6, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 6, 4L * B * 6, 4L * B * 3, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 6, 4L * B * 6, 4L * B * 3, 4L * B, 4L * B * 3, 8L * B));
                _x = a.Take<float>(B * 6);
                A_L1_Y = a.Take<float>(B * 8);
                A_L2_Y = a.Take<float>(B * 8);
                A_L2_Mask = a.Take<float>(B * 8);
                A_L3_Y = a.Take<float>(B * 8);
                A_L4_Y = a.Take<float>(B * 8);
                A_L4_Mask = a.Take<float>(B * 8);
                A_L5_Y = a.Take<float>(B * 8);
                A_L5_Mask = a.Take<float>(B * 8);
                A_L6_Y = a.Take<float>(B * 8);
                A_L7_Y = a.Take<float>(B * 6);
                A_L8_Y = a.Take<float>(B * 6);
                A_L9_Y = a.Take<float>(B * 3);
                D_L0_Y = a.Take<float>(B * 8);
                D_L1_Y = a.Take<float>(B * 8);
                D_L2_Y = a.Take<float>(B * 8);
                D_L3_Y = a.Take<float>(B * 8);
                D_L4_Y = a.Take<float>(B * 8);
                D_L5_Y = a.Take<float>(B * 8);
                D_L6_Y = a.Take<float>(B * 8);
                D_L7_Y = a.Take<float>(B * 6);
                D_L8_Y = a.Take<float>(B * 6);
                D_L9_Y = a.Take<float>(B * 3);
                _targets = a.Take<int>(B);
                _targetProbabilities = a.Take<float>(B * 3);
                _lossTerms = a.Take<double>(B);
            }

            /// <summary>Host → device: the parameters (an arena laid out as s_parameters) and the optimizer state arrays.</summary>
            public void Upload(float[] parameters, float[][] optimizerState)
            {
                _rt.Enter();
                P_L0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L0_Weight, 48));
                _velocity_L0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L0_Weight, 48));
                P_L0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L0_Bias, 8));
                _velocity_L0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L0_Bias, 8));
                P_L3_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L3_Weight, 64));
                _velocity_L3_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L3_Weight, 64));
                P_L3_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L3_Bias, 8));
                _velocity_L3_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L3_Bias, 8));
                P_L7_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L7_Weight, 48));
                _velocity_L7_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L7_Weight, 48));
                P_L7_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L7_Bias, 6));
                _velocity_L7_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L7_Bias, 6));
                P_L9_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L9_Weight, 18));
                _velocity_L9_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L9_Weight, 18));
            }

            /// <summary>Device → host: the parameters, their gradients and the optimizer state (waits for the launches before it).</summary>
            public void Download(float[] parameters, float[] gradients, float[][] optimizerState)
            {
                _rt.Enter();
                P_L0_Weight.CopyTo(new global::System.Span<float>(parameters, L0_Weight, 48));
                G_L0_Weight.CopyTo(new global::System.Span<float>(gradients, L0_Weight, 48));
                _velocity_L0_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L0_Weight, 48));
                P_L0_Bias.CopyTo(new global::System.Span<float>(parameters, L0_Bias, 8));
                G_L0_Bias.CopyTo(new global::System.Span<float>(gradients, L0_Bias, 8));
                _velocity_L0_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L0_Bias, 8));
                P_L3_Weight.CopyTo(new global::System.Span<float>(parameters, L3_Weight, 64));
                G_L3_Weight.CopyTo(new global::System.Span<float>(gradients, L3_Weight, 64));
                _velocity_L3_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L3_Weight, 64));
                P_L3_Bias.CopyTo(new global::System.Span<float>(parameters, L3_Bias, 8));
                G_L3_Bias.CopyTo(new global::System.Span<float>(gradients, L3_Bias, 8));
                _velocity_L3_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L3_Bias, 8));
                P_L7_Weight.CopyTo(new global::System.Span<float>(parameters, L7_Weight, 48));
                G_L7_Weight.CopyTo(new global::System.Span<float>(gradients, L7_Weight, 48));
                _velocity_L7_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L7_Weight, 48));
                P_L7_Bias.CopyTo(new global::System.Span<float>(parameters, L7_Bias, 6));
                G_L7_Bias.CopyTo(new global::System.Span<float>(gradients, L7_Bias, 6));
                _velocity_L7_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L7_Bias, 6));
                P_L9_Weight.CopyTo(new global::System.Span<float>(parameters, L9_Weight, 18));
                G_L9_Weight.CopyTo(new global::System.Span<float>(gradients, L9_Weight, 18));
                _velocity_L9_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L9_Weight, 18));
            }

            /// <summary>Inference, MaxBatch rows at a time: each chunk's input in, the forward graph of its B, its output back.</summary>
            public void Predict(global::System.ReadOnlySpan<float> inputs, global::System.Span<float> outputs, int rows, ulong seed, long step)
            {
                _rt.Enter();
                for (int start = 0; start < rows; start += MaxBatch)
                {
                    int B = global::System.Math.Min(MaxBatch, rows - start);
                    Rows(B);
                    _x.CopyFrom(inputs.Slice(start * InputSize, B * InputSize));
                    _B = B;
                    _seed = seed;
                    _step = step;
                    _rt.Run(PredictGraph | (uint)B, _predictLaunches);
                    A_L9_Y.CopyTo(outputs.Slice(start * OutputSize, B * OutputSize));
                }
            }

            /// <summary>Forward, loss, backward, gradient clipping, the regularisation gradients and the sums of the finiteness check on the
            /// device (the gradient graph of this B and clipping): the inputs and targets in, the results (a few doubles) back in one
            /// copy. Returns the mean loss with its regularisation terms, in
            /// <paramref name="squares"/> Σg² over every gradient and in <paramref name="norm"/> ‖g‖ before clipping (NaN without a maximum).</summary>
            public double Gradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<int> labels, int B, ulong seed, long step, double? clipValue, double? clipNorm, out double squares, out double norm)
            {
                _rt.Enter();
                Rows(B);
                _x.CopyFrom(inputs);
                _targets.CopyFrom(labels);
                _B = B;
                _seed = seed;
                _step = step;
                _clipValue = clipValue;
                _clipNorm = clipNorm;
                _rt.Run(GradientGraph | (clipValue is null ? 0L : ClippedByValue) | (clipNorm is null ? 0L : ClippedByNorm) | (uint)B, _gradientLaunches);
                _results.CopyTo(_host);
                norm = clipNorm is null ? double.NaN : global::System.Math.Sqrt(_host[15]); // ‖g‖ before clipping
                double loss = _host[0] / B; // the mean of the loss terms
                squares = 0;
                for (int i = 1; i < 8; i++)
                {
                    squares += _host[i];
                }

                return loss;
            }

            /// <summary>Forward, loss, backward, gradient clipping, the regularisation gradients and the sums of the finiteness check on the
            /// device (the gradient graph of this B and clipping): the inputs and targets in, the results (a few doubles) back in one
            /// copy. Returns the mean loss with its regularisation terms, in
            /// <paramref name="squares"/> Σg² over every gradient and in <paramref name="norm"/> ‖g‖ before clipping (NaN without a maximum).</summary>
            public double SoftGradients(global::System.ReadOnlySpan<float> inputs, global::System.ReadOnlySpan<float> targetProbabilities, int B, ulong seed, long step, double? clipValue, double? clipNorm, out double squares, out double norm)
            {
                _rt.Enter();
                Rows(B);
                _x.CopyFrom(inputs);
                _targetProbabilities.CopyFrom(targetProbabilities);
                _B = B;
                _seed = seed;
                _step = step;
                _clipValue = clipValue;
                _clipNorm = clipNorm;
                _rt.Run(SoftGradientGraph | (clipValue is null ? 0L : ClippedByValue) | (clipNorm is null ? 0L : ClippedByNorm) | (uint)B, _softGradientLaunches);
                _results.CopyTo(_host);
                norm = clipNorm is null ? double.NaN : global::System.Math.Sqrt(_host[15]); // ‖g‖ before clipping
                double loss = _host[0] / B; // the mean of the loss terms
                squares = 0;
                for (int i = 1; i < 8; i++)
                {
                    squares += _host[i];
                }

                return loss;
            }

            /// <summary>The optimizer step (the update graph): <paramref name="step"/> counts updates from 1, <paramref name="learningRate"/>
            /// is the network's LearningRate now; a replay rewrites the update nodes with them.</summary>
            public void Step(long step, double learningRate)
            {
                _rt.Enter();
                _step = step;
                _learningRate = learningRate;
                _rt.Run(UpdateGraph, _updateLaunches);
            }

            /// <summary>Forward launches: x[B, 6] (in _x) → output[B, 3] on the device; the same nodes and formulas as Core&lt;T&gt;.Forward.</summary>
            private void Forward(int B, bool training, ulong seed, long step)
            {
                // ── [0] dense_0: Dense 6 → 8 ─────────────────────────────────────────────────────────────────────
                // y[B,8] = x[B,6] · W[8,6]ᵀ + b[8], then y = tanh(x) → output of [1]
                // ng_sgemm: C[B×8] = A[B×6] · B[8×6]ᵀ + bias, then Tanh in the epilogue (the store of [1]); 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 6, _x, 6, P_L0_Weight, 6, A_L1_Y, 8, 0f, P_L0_Bias, global::NetGen.Cuda.CudaActivation.Tanh);

                // ── [1] tanh_1: Tanh [8] ─────────────────────────────────────────────────────────────────────────
                // y = tanh(x)
                // applied by [0]'s ng_sgemm as it stores its output here (epilogue)

                // ── [2] vanilladropout_2: VanillaDropout p = 0.25 [8] ────────────────────────────────────────────
                // training: m = 1(u ≥ 0.25), u ~ U[0,1) keyed by (seed, layer 2, step);  y = x ⊙ m (not scaled).   inference: y = (1 − 0.25)·x = x·E[m]
                if (training)
                {
                    // ng_dropout_forward: [B×8], mask[i] = Uniform(key, i) ≥ p ? 1 : 0 (not scaled), the CPU's counter RNG and key
                    _k.VanillaDropoutForward(A_L1_Y, A_L2_Y, A_L2_Mask, 0.25, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 2, (ulong)step));
                }
                else
                {
                    // ng_scale_copy: y[B×8] = (1 − p)·x, the factor rounded to float once
                    _k.VanillaDropoutInference(A_L1_Y, A_L2_Y, 0.25);
                }

                // ── [3] dense_3: Dense 8 → 8 ─────────────────────────────────────────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias in the epilogue; 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L2_Y, 8, P_L3_Weight, 8, A_L3_Y, 8, 0f, P_L3_Bias, global::NetGen.Cuda.CudaActivation.Identity);

                // ── [4] gaussiandropout_4: GaussianDropout p = 0.3 [8] ───────────────────────────────────────────
                // training: m = 1 + σ·z, σ = √(p/(1 − p)) = 0.6546536707079772, z ~ N(0, 1) keyed by (seed, layer 4, step);  y = x ⊙ m.   inference: y = x
                if (training)
                {
                    // ng_gaussian_dropout_forward: [B×8], mask[i] = 1 + σ·Normal(key, i), σ = √(p/(1 − p)), Box–Muller on the CPU's counter RNG and key
                    _k.GaussianDropoutForward(A_L3_Y, A_L4_Y, A_L4_Mask, 0.3, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 4, (ulong)step));
                }
                else
                {
                    // y = x: a copy [B×8] (ng_leaky_relu_forward with slope 1, exact)
                    _k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, A_L3_Y, A_L4_Y, 1f);
                }

                // ── [5] standout_5: Standout α = 1.5, β = -0.5 [8] ───────────────────────────────────────────────
                // training: π = σ(1.5·z + -0.5), m = 1(u < π), u ~ U[0,1) keyed by (seed, layer 5, step);  y = z ⊙ m.   inference: y = z ⊙ π
                if (training)
                {
                    // ng_standout_forward: [B×8], π = σ(α·z + β) in double, mask[i] = Uniform(key, i) < π ? 1 : 0, the CPU's counter RNG and key
                    _k.StandoutForward(A_L4_Y, A_L5_Y, A_L5_Mask, 1.5, -0.5, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 5, (ulong)step));
                }
                else
                {
                    // ng_standout_inference: y[B×8] = z·σ(α·z + β), in double, rounded once
                    _k.StandoutInference(A_L4_Y, A_L5_Y, 1.5, -0.5);
                }

                // ── [6] relu_6: ReLU [8] ─────────────────────────────────────────────────────────────────────────
                // y = max(0, x)
                // ng_relu_forward: [B×8], one thread per value (grid-stride)
                _k.ActivationForward(global::NetGen.Cuda.CudaActivation.ReLU, A_L5_Y, A_L6_Y);

                // ── [7] dropconnect_7: DropConnect 8 → 6, p = 0.5 ────────────────────────────────────────────────
                // training: M_b[o,i] = 1(u ≥ 0.5) / (1 − 0.5), u ~ U[0,1) keyed by (seed, layer 7, step), index (b·6 + o)·8 + i;  y_b = (W ⊙ M_b)·x_b + b.   inference: y[B,6] = x[B,8] · W[6,8]ᵀ + b
                if (training)
                {
                    // ng_dropconnect_forward: y[B×6], one thread per (b, o): Σ_i over the kept W[o, i]·x[b, i] (u ≥ p, u = Uniform(key, (b·6 + o)·8 + i)), times 1/(1 − p), + b
                    _k.DropConnectForward(A_L6_Y, P_L7_Weight, P_L7_Bias, A_L7_Y, B, 8, 6, 0.5, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 7, (ulong)step));
                }
                else
                {
                    // ng_sgemm: y[B×6] = x[B×8] · W[6×8]ᵀ + bias in the epilogue: the plain Dense (E[M] = 1)
                    _k.Sgemm(false, true, B, 6, 8, A_L6_Y, 8, P_L7_Weight, 8, A_L7_Y, 6, 0f, P_L7_Bias, global::NetGen.Cuda.CudaActivation.Identity);
                }

                // ── [8] tanh_8: Tanh [6] ─────────────────────────────────────────────────────────────────────────
                // y = tanh(x)
                // ng_tanh_forward: [B×6], one thread per value (grid-stride)
                _k.ActivationForward(global::NetGen.Cuda.CudaActivation.Tanh, A_L7_Y, A_L8_Y);

                // ── [9] dropconnect_9: DropConnect 6 → 3, p = 0.2 ────────────────────────────────────────────────
                // training: M_b[o,i] = 1(u ≥ 0.2) / (1 − 0.2), u ~ U[0,1) keyed by (seed, layer 9, step), index (b·3 + o)·6 + i;  y_b = (W ⊙ M_b)·x_b.   inference: y[B,3] = x[B,6] · W[3,6]ᵀ
                if (training)
                {
                    // ng_dropconnect_forward: y[B×3], one thread per (b, o): Σ_i over the kept W[o, i]·x[b, i] (u ≥ p, u = Uniform(key, (b·3 + o)·6 + i)), times 1/(1 − p)
                    _k.DropConnectForward(A_L8_Y, P_L9_Weight, null, A_L9_Y, B, 6, 3, 0.2, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 9, (ulong)step));
                }
                else
                {
                    // ng_sgemm: y[B×3] = x[B×6] · W[3×6]ᵀ: the plain Dense (E[M] = 1)
                    _k.Sgemm(false, true, B, 3, 6, A_L8_Y, 6, P_L9_Weight, 6, A_L9_Y, 3, 0f, null, global::NetGen.Cuda.CudaActivation.Identity);
                }
            }

            /// <summary>The data gradients: forward, loss and backward (the buffers kept first, to put back on a refused step).</summary>
            private void DataGradients(int B, bool soft)
            {
                Forward(B, training: true, _seed, _step);
                if (soft)
                {
                    ProbabilityLoss(B);
                }
                else
                {
                    Loss(B);
                }

                Backward(B);
            }

            /// <summary>Loss launches: ∂L/∂output on the device, the loss terms summed into _results[0] and, for the regularisation
            /// terms, Σw² (L2, NormBound) and Σ|w| (L1) of each regularised tensor into the next slots (Gradients combines them on the host).</summary>
            private void Loss(int B)
            {
                // ── loss: softmax cross-entropy over output[B, 3] (PyTorch: nn.CrossEntropyLoss())
                // L = (1/B) Σ_i [log Σ_j e^(f_ij − m_i) − (f_iy_i − m_i)],  m_i = max_j f_ij (subtracted for numerical stability)
                // fused backward: ∂L/∂f = (softmax(f) − onehot(y)) / B
                // ng_softmax_cross_entropy: one thread per row of [B×3]; loss terms in double, ∂L/∂f = (softmax(f) − onehot(y)) / B
                _k.SoftmaxCrossEntropy(A_L9_Y, _targets, D_L9_Y, _lossTerms, B, 3);
                _k.Sum(_lossTerms, B, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]
            }

            /// <summary>As Loss, against target distributions [B, C] (soft targets, in _targetProbabilities).</summary>
            private void ProbabilityLoss(int B)
            {
                // ── loss: softmax cross-entropy against probability rows t over output[B, 3] (PyTorch: nn.CrossEntropyLoss() with probability targets)
                // L = (1/B) Σ_i Σ_j q_ij (lse_i − f_ij),  q_i = t_i,  lse_i = m_i + log Σ_j e^(f_ij − m_i), m_i = max_j f_ij
                // rows are not renormalised (as PyTorch): s_i = Σ_j q_ij weighs example i;  fused backward: ∂L/∂f = (s_i·softmax(f) − q) / B
                // ng_softmax_cross_entropy_soft: one thread per row of [B×3]; q = t, s = Σq; loss terms in double, ∂L/∂f = (s·softmax(f) − q) / B
                _k.SoftmaxCrossEntropy(A_L9_Y, _targetProbabilities, D_L9_Y, _lossTerms, B, 3);
                _k.Sum(_lossTerms, B, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]
            }

            /// <summary>Backward: the same nodes in reverse order, from ∂L/∂output (left by Loss) to every parameter gradient of the data
            /// loss; each parameter gradient has one writer, which overwrites it. Every gradient has its own buffer, but a residual addition's
            /// inputs share its output's (the gradient passes through unchanged), and a tensor's second consumer adds its part with ng_add.</summary>
            private void Backward(int B)
            {
                // ── [9] dropconnect_9: DropConnect 6 → 3, p = 0.2 · backward ─────────────────────────────────────
                // dx_b = (W ⊙ M_b)ᵀ·dy_b;  dW = Σ_b (dy_b·x_bᵀ) ⊙ M_b (M_b recomputed from the stream, never stored)
                // ng_dropconnect_weight_grad: dW[3×6], one thread per weight, b in order; ng_dropconnect_input_grad: dx[B×6], one thread per value, o in order
                // the masks drawn again from the forward's key: Key(seed, DropoutStream, 9, step) with this step's _seed and _step
                _k.DropConnectBackward(D_L9_Y, A_L8_Y, P_L9_Weight, D_L8_Y, G_L9_Weight, null, B, 6, 3, 0.2, global::NetGen.CounterRng.Key(_seed, global::NetGen.CounterRng.DropoutStream, 9, (ulong)_step));

                // ── [8] tanh_8: Tanh [6] · backward ──────────────────────────────────────────────────────────────
                // dx = dy ⊙ (1 − y²)
                // ng_tanh_backward: [B×6], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.Tanh, dy: D_L8_Y, x: A_L8_Y, y: A_L8_Y, dx: D_L7_Y);

                // ── [7] dropconnect_7: DropConnect 8 → 6, p = 0.5 · backward ─────────────────────────────────────
                // dx_b = (W ⊙ M_b)ᵀ·dy_b;  dW = Σ_b (dy_b·x_bᵀ) ⊙ M_b;  db = Σ_B dy (M_b recomputed from the stream, never stored)
                // ng_dropconnect_weight_grad: dW[6×8], one thread per weight, b in order; ng_dropconnect_input_grad: dx[B×8], one thread per value, o in order; ng_column_sums: db
                // the masks drawn again from the forward's key: Key(seed, DropoutStream, 7, step) with this step's _seed and _step
                _k.DropConnectBackward(D_L7_Y, A_L6_Y, P_L7_Weight, D_L6_Y, G_L7_Weight, G_L7_Bias, B, 8, 6, 0.5, global::NetGen.CounterRng.Key(_seed, global::NetGen.CounterRng.DropoutStream, 7, (ulong)_step));

                // ── [6] relu_6: ReLU [8] · backward ──────────────────────────────────────────────────────────────
                // dx = dy ⊙ 1(y > 0)
                // ng_relu_backward: [B×8], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.ReLU, dy: D_L6_Y, x: A_L6_Y, y: A_L6_Y, dx: D_L5_Y);

                // ── [5] standout_5: Standout α = 1.5, β = -0.5 [8] · backward ────────────────────────────────────
                // dz = dy ⊙ m (the sampled mask is a constant: no gradient through π)
                // ng_multiply: dz[B×8] = dy ⊙ m
                _k.Multiply(D_L5_Y, A_L5_Mask, D_L4_Y);

                // ── [4] gaussiandropout_4: GaussianDropout p = 0.3 [8] · backward ────────────────────────────────
                // dx = dy ⊙ m
                // ng_multiply: dx[B×8] = dy ⊙ m
                _k.Multiply(D_L4_Y, A_L4_Mask, D_L3_Y);

                // ── [3] dense_3: Dense 8 → 8 · backward ──────────────────────────────────────────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L3_Y, 8, P_L3_Weight, 8, D_L2_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L3_Y, 8, A_L2_Y, 8, G_L3_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L3_Y, G_L3_Bias, B, 8, accumulate: false);

                // ── [2] vanilladropout_2: VanillaDropout p = 0.25 [8] · backward ─────────────────────────────────
                // dx = dy ⊙ m
                // ng_multiply: dx[B×8] = dy ⊙ m
                _k.Multiply(D_L2_Y, A_L2_Mask, D_L1_Y);

                // ── [1] tanh_1: Tanh [8] · backward ──────────────────────────────────────────────────────────────
                // dx = dy ⊙ (1 − y²)
                // ng_tanh_backward: [B×8], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.Tanh, dy: D_L1_Y, x: A_L1_Y, y: A_L1_Y, dx: D_L0_Y);

                // ── [0] dense_0: Dense 6 → 8 · backward ──────────────────────────────────────────────────────────
                // dW[8,6] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dW[8×6] = dyᵀ[8×B] · x[B×6] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 6, B, D_L0_Y, 8, _x, 6, G_L0_Weight, 6);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L0_Y, G_L0_Bias, B, 8, accumulate: false);
            }

            /// <summary>The regularisation terms' gradients (L2: dW += λ₂·W; L1: dW += λ₁·sign(W); NormBound: dW += α·W), added after
            /// Backward and gradient clipping.</summary>
            private void RegularizationBackward()
            {
                // no regularisation (WeightDecay = 0)
            }

            /// <summary>Gradient clipping by value of the data loss's gradient (TrainStep with ClipGradientValue): g = clamp(g, −c, c),
            /// PyTorch's clip_grad_value_; c is a scalar argument (a replay rewrites it).</summary>
            private void ClipByValue()
            {
                if (_clipValue is not double value)
                {
                    return;
                }

                _k.ClipByValue(G_L0_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L0_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L3_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L3_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L7_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L7_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L9_Weight, value); // ng_clip_by_value
            }

            /// <summary>Gradient clipping by the global norm over every parameter gradient (TrainStep with ClipGradientNorm; PyTorch's
            /// clip_grad_norm_): Σg² of each tensor and their sum in double into _results, then g·max/(‖g‖ + 1e-6) when that factor is
            /// below 1, decided on the device (ng_clip_by_norm): nothing comes back mid-step. The maximum is a scalar argument.</summary>
            private void ClipByNorm()
            {
                if (_clipNorm is not double max)
                {
                    return;
                }

                _k.SumOfSquares(G_L0_Weight, _results.Slice(8, 1));
                _k.SumOfSquares(G_L0_Bias, _results.Slice(9, 1));
                _k.SumOfSquares(G_L3_Weight, _results.Slice(10, 1));
                _k.SumOfSquares(G_L3_Bias, _results.Slice(11, 1));
                _k.SumOfSquares(G_L7_Weight, _results.Slice(12, 1));
                _k.SumOfSquares(G_L7_Bias, _results.Slice(13, 1));
                _k.SumOfSquares(G_L9_Weight, _results.Slice(14, 1));
                _k.Sum(_results.Slice(8, 7), 7, _results.Slice(15, 1)); // ‖g‖² over every gradient (ng_reduce_sum_f64)
                _k.ScaleToNorm(G_L0_Weight, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L0_Bias, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L3_Weight, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L3_Bias, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L7_Weight, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L7_Bias, max, _results.Slice(15, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L9_Weight, max, _results.Slice(15, 1)); // ng_clip_by_norm
            }

            /// <summary>The finiteness check's launches: Σg² in double of each parameter gradient into _results (finite exactly when every
            /// gradient element is).</summary>
            private void Sums()
            {
                _k.SumOfSquares(G_L0_Weight, _results.Slice(1, 1));
                _k.SumOfSquares(G_L0_Bias, _results.Slice(2, 1));
                _k.SumOfSquares(G_L3_Weight, _results.Slice(3, 1));
                _k.SumOfSquares(G_L3_Bias, _results.Slice(4, 1));
                _k.SumOfSquares(G_L7_Weight, _results.Slice(5, 1));
                _k.SumOfSquares(G_L7_Bias, _results.Slice(6, 1));
                _k.SumOfSquares(G_L9_Weight, _results.Slice(7, 1));
            }

            /// <summary>Optimizer launches, one per parameter tensor; <paramref name="step"/> counts updates from 1;
            /// <paramref name="learningRate"/> is the network's LearningRate at this step.</summary>
            private void Update(long step, double learningRate)
            {
                _ = step;
                // SGD with momentum (lr 0.05, μ 0.9): v ← μ·v + g;  p ← p − lr·v   (the CPU's operations in the CPU's order, scalars from the host)
                _k.Momentum(P_L0_Weight, G_L0_Weight, _velocity_L0_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L0_Bias, G_L0_Bias, _velocity_L0_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L3_Weight, G_L3_Weight, _velocity_L3_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L3_Bias, G_L3_Bias, _velocity_L3_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L7_Weight, G_L7_Weight, _velocity_L7_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L7_Bias, G_L7_Bias, _velocity_L7_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L9_Weight, G_L9_Weight, _velocity_L9_Weight, (float)learningRate, (float)0.9, nesterov: false);
            }
        }