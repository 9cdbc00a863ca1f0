private sealed class CudaCore : global::System.IDisposable
        {
            private const long GradientGraph = 1L << 32, PredictGraph = 2L << 32, UpdateGraph = 3L << 32, SoftGradientGraph = 4L << 32, ClippedByValue = 1L << 40, ClippedByNorm = 1L << 41; // graph keys: the kind | the clipping | B
            private readonly global::NetGen.Cuda.CudaNetworkRuntime _rt;
            private readonly global::NetGen.Cuda.CudaKernels _k;

            // Parameters (state_dict order), their gradients and the optimizer state (_velocity): views into the state arena.
            private readonly global::NetGen.Cuda.DeviceView<float> P_L0_Weight, G_L0_Weight, _velocity_L0_Weight; // "0.weight" [8, 6]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L0_Bias, G_L0_Bias, _velocity_L0_Bias; // "0.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L1_Branch_0_Weight, G_L1_Branch_0_Weight, _velocity_L1_Branch_0_Weight; // "1.branch.0.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L1_Branch_0_Bias, G_L1_Branch_0_Bias, _velocity_L1_Branch_0_Bias; // "1.branch.0.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L1_Branch_2_Weight, G_L1_Branch_2_Weight, _velocity_L1_Branch_2_Weight; // "1.branch.2.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L1_Branch_2_Bias, G_L1_Branch_2_Bias, _velocity_L1_Branch_2_Bias; // "1.branch.2.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_0_Weight, G_L2_Branch_0_Weight, _velocity_L2_Branch_0_Weight; // "2.branch.0.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_0_Bias, G_L2_Branch_0_Bias, _velocity_L2_Branch_0_Bias; // "2.branch.0.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_2_Branch_0_Weight, G_L2_Branch_2_Branch_0_Weight, _velocity_L2_Branch_2_Branch_0_Weight; // "2.branch.2.branch.0.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_2_Branch_0_Bias, G_L2_Branch_2_Branch_0_Bias, _velocity_L2_Branch_2_Branch_0_Bias; // "2.branch.2.branch.0.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_2_Branch_2_Weight, G_L2_Branch_2_Branch_2_Weight, _velocity_L2_Branch_2_Branch_2_Weight; // "2.branch.2.branch.2.weight" [8, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L2_Branch_2_Branch_2_Bias, G_L2_Branch_2_Branch_2_Bias, _velocity_L2_Branch_2_Branch_2_Bias; // "2.branch.2.branch.2.bias" [8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L3_Weight, G_L3_Weight, _velocity_L3_Weight; // "3.weight" [3, 8]
            private readonly global::NetGen.Cuda.DeviceView<float> P_L3_Bias, G_L3_Bias, _velocity_L3_Bias; // "3.bias" [3]
            // The step's results in double, copied back in one piece: [0] Σ loss terms, then Σg² of each gradient.
            private readonly global::NetGen.Cuda.DeviceView<double> _results;
            private readonly double[] _host = new double[30];

            // Per-row views [B, n] into the activation arena, laid out for the rows of the call: the input, each stored node output and
            // cache, each gradient, the targets and the loss terms.
            private int _rows;
            private global::NetGen.Cuda.DeviceView<float> _x; // input [B, 6]
            private global::NetGen.Cuda.DeviceView<float> A_L0_Y; // stem output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L1_Branch_1_Y; // relu_1_branch_1 output [B, 8] (the store of [1.branch.0]'s GEMM epilogue)
            private global::NetGen.Cuda.DeviceView<float> A_L1_Branch_2_Y; // dense_1_branch_2 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L1_DropPath_Y; // residual_1_drop_path output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L1_DropPath_Mask; // residual_1_drop_path mask [B, 1]
            private global::NetGen.Cuda.DeviceView<float> A_L1_Y; // residual_1 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_1_Y; // tanh_2_branch_1 output [B, 8] (the store of [2.branch.0]'s GEMM epilogue)
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_2_Branch_1_Y; // relu_2_branch_2_branch_1 output [B, 8] (the store of [2.branch.2.branch.0]'s GEMM epilogue)
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_2_Branch_2_Y; // dense_2_branch_2_branch_2 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_2_DropPath_Y; // residual_2_branch_2_drop_path output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_2_DropPath_Mask; // residual_2_branch_2_drop_path mask [B, 1]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Branch_2_Y; // residual_2_branch_2 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_DropPath_Y; // residual_2_drop_path output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L2_DropPath_Mask; // residual_2_drop_path mask [B, 1]
            private global::NetGen.Cuda.DeviceView<float> A_L2_Y; // residual_2 output [B, 8]
            private global::NetGen.Cuda.DeviceView<float> A_L3_Y; // head output [B, 3]
            private global::NetGen.Cuda.DeviceView<float> D_L1_Branch_0_Y; // ∂L/∂(dense_1_branch_0 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L1_Branch_1_Y; // ∂L/∂(relu_1_branch_1 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L1_Branch_2_Y; // ∂L/∂(dense_1_branch_2 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Branch_0_Y; // ∂L/∂(dense_2_branch_0 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Branch_2_Branch_0_Y; // ∂L/∂(dense_2_branch_2_branch_0 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Branch_2_Branch_1_Y; // ∂L/∂(relu_2_branch_2_branch_1 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Branch_2_Branch_2_Y; // ∂L/∂(dense_2_branch_2_branch_2 output) [B, 8]
            private global::NetGen.Cuda.DeviceView<float> D_L2_Branch_2_Y; // ∂L/∂(residual_2_branch_2 output) [B, 8]; also ∂L/∂ of tanh_2_branch_1, residual_2_branch_2_drop_path, passed through unchanged
            private global::NetGen.Cuda.DeviceView<float> D_L2_Y; // ∂L/∂(residual_2 output) [B, 8]; also ∂L/∂ of stem, residual_1_drop_path, residual_1, residual_2_drop_path, passed through unchanged
            private global::NetGen.Cuda.DeviceView<float> D_L3_Y; // ∂L/∂(head output) [B, 3]
            private global::NetGen.Cuda.DeviceView<float> T_L0_Y; // a second consumer's part of ∂L/∂(stem output) [B, 8], added to D_L2_Y
            private global::NetGen.Cuda.DeviceView<float> T_L1_Y; // a second consumer's part of ∂L/∂(residual_1 output) [B, 8], added to D_L2_Y
            private global::NetGen.Cuda.DeviceView<float> T_L2_Branch_1_Y; // a second consumer's part of ∂L/∂(tanh_2_branch_1 output) [B, 8], added to D_L2_Branch_2_Y
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
                _rt = new global::NetGen.Cuda.CudaNetworkRuntime("ResidualGpuNet");
                _k = _rt.Kernels;
                global::NetGen.Cuda.DeviceArena state = _rt.State(global::NetGen.Cuda.DeviceArena.Size(4L * 48, 4L * 48, 4L * 48, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 64, 4L * 64, 4L * 64, 4L * 8, 4L * 8, 4L * 8, 4L * 24, 4L * 24, 4L * 24, 4L * 3, 4L * 3, 4L * 3, 8L * 30));
                P_L0_Weight = state.Take<float>(48);
                G_L0_Weight = state.Take<float>(48);
                _velocity_L0_Weight = state.Take<float>(48);
                P_L0_Bias = state.Take<float>(8);
                G_L0_Bias = state.Take<float>(8);
                _velocity_L0_Bias = state.Take<float>(8);
                P_L1_Branch_0_Weight = state.Take<float>(64);
                G_L1_Branch_0_Weight = state.Take<float>(64);
                _velocity_L1_Branch_0_Weight = state.Take<float>(64);
                P_L1_Branch_0_Bias = state.Take<float>(8);
                G_L1_Branch_0_Bias = state.Take<float>(8);
                _velocity_L1_Branch_0_Bias = state.Take<float>(8);
                P_L1_Branch_2_Weight = state.Take<float>(64);
                G_L1_Branch_2_Weight = state.Take<float>(64);
                _velocity_L1_Branch_2_Weight = state.Take<float>(64);
                P_L1_Branch_2_Bias = state.Take<float>(8);
                G_L1_Branch_2_Bias = state.Take<float>(8);
                _velocity_L1_Branch_2_Bias = state.Take<float>(8);
                P_L2_Branch_0_Weight = state.Take<float>(64);
                G_L2_Branch_0_Weight = state.Take<float>(64);
                _velocity_L2_Branch_0_Weight = state.Take<float>(64);
                P_L2_Branch_0_Bias = state.Take<float>(8);
                G_L2_Branch_0_Bias = state.Take<float>(8);
                _velocity_L2_Branch_0_Bias = state.Take<float>(8);
                P_L2_Branch_2_Branch_0_Weight = state.Take<float>(64);
                G_L2_Branch_2_Branch_0_Weight = state.Take<float>(64);
                _velocity_L2_Branch_2_Branch_0_Weight = state.Take<float>(64);
                P_L2_Branch_2_Branch_0_Bias = state.Take<float>(8);
                G_L2_Branch_2_Branch_0_Bias = state.Take<float>(8);
                _velocity_L2_Branch_2_Branch_0_Bias = state.Take<float>(8);
                P_L2_Branch_2_Branch_2_Weight = state.Take<float>(64);
                G_L2_Branch_2_Branch_2_Weight = state.Take<float>(64);
                _velocity_L2_Branch_2_Branch_2_Weight = state.Take<float>(64);
                P_L2_Branch_2_Branch_2_Bias = state.Take<float>(8);
                G_L2_Branch_2_Branch_2_Bias = state.Take<float>(8);
                _velocity_L2_Branch_2_Branch_2_Bias = state.Take<float>(8);
                P_L3_Weight = state.Take<float>(24);
                G_L3_Weight = state.Take<float>(24);
                _velocity_L3_Weight = state.Take<float>(24);
                P_L3_Bias = state.Take<float>(3);
                G_L3_Bias = state.Take<float>(3);
                _velocity_L3_Bias = state.Take<float>(3);
                _results = state.Take<double>(30);
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
                global::NetGen.Cuda.DeviceArena a = _rt.Activations(global::NetGen.Cuda.DeviceArena.Size(4L * B * 6, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B, 4L * B * 8, 4L * B * 8, 4L * B, 4L * B * 8, 4L * B * 3, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B * 3, 4L * B * 8, 4L * B * 8, 4L * B * 8, 4L * B, 4L * B * 3, 8L * B));
                _x = a.Take<float>(B * 6);
                A_L0_Y = a.Take<float>(B * 8);
                A_L1_Branch_1_Y = a.Take<float>(B * 8);
                A_L1_Branch_2_Y = a.Take<float>(B * 8);
                A_L1_DropPath_Y = a.Take<float>(B * 8);
                A_L1_DropPath_Mask = a.Take<float>(B);
                A_L1_Y = a.Take<float>(B * 8);
                A_L2_Branch_1_Y = a.Take<float>(B * 8);
                A_L2_Branch_2_Branch_1_Y = a.Take<float>(B * 8);
                A_L2_Branch_2_Branch_2_Y = a.Take<float>(B * 8);
                A_L2_Branch_2_DropPath_Y = a.Take<float>(B * 8);
                A_L2_Branch_2_DropPath_Mask = a.Take<float>(B);
                A_L2_Branch_2_Y = a.Take<float>(B * 8);
                A_L2_DropPath_Y = a.Take<float>(B * 8);
                A_L2_DropPath_Mask = a.Take<float>(B);
                A_L2_Y = a.Take<float>(B * 8);
                A_L3_Y = a.Take<float>(B * 3);
                D_L1_Branch_0_Y = a.Take<float>(B * 8);
                D_L1_Branch_1_Y = a.Take<float>(B * 8);
                D_L1_Branch_2_Y = a.Take<float>(B * 8);
                D_L2_Branch_0_Y = a.Take<float>(B * 8);
                D_L2_Branch_2_Branch_0_Y = a.Take<float>(B * 8);
                D_L2_Branch_2_Branch_1_Y = a.Take<float>(B * 8);
                D_L2_Branch_2_Branch_2_Y = a.Take<float>(B * 8);
                D_L2_Branch_2_Y = a.Take<float>(B * 8);
                D_L2_Y = a.Take<float>(B * 8);
                D_L3_Y = a.Take<float>(B * 3);
                T_L0_Y = a.Take<float>(B * 8);
                T_L1_Y = a.Take<float>(B * 8);
                T_L2_Branch_1_Y = a.Take<float>(B * 8);
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
                P_L1_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L1_Branch_0_Weight, 64));
                _velocity_L1_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L1_Branch_0_Weight, 64));
                P_L1_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L1_Branch_0_Bias, 8));
                _velocity_L1_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L1_Branch_0_Bias, 8));
                P_L1_Branch_2_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L1_Branch_2_Weight, 64));
                _velocity_L1_Branch_2_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L1_Branch_2_Weight, 64));
                P_L1_Branch_2_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L1_Branch_2_Bias, 8));
                _velocity_L1_Branch_2_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L1_Branch_2_Bias, 8));
                P_L2_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_0_Weight, 64));
                _velocity_L2_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_0_Weight, 64));
                P_L2_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_0_Bias, 8));
                _velocity_L2_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_0_Bias, 8));
                P_L2_Branch_2_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_2_Branch_0_Weight, 64));
                _velocity_L2_Branch_2_Branch_0_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_2_Branch_0_Weight, 64));
                P_L2_Branch_2_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_2_Branch_0_Bias, 8));
                _velocity_L2_Branch_2_Branch_0_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_2_Branch_0_Bias, 8));
                P_L2_Branch_2_Branch_2_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_2_Branch_2_Weight, 64));
                _velocity_L2_Branch_2_Branch_2_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_2_Branch_2_Weight, 64));
                P_L2_Branch_2_Branch_2_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L2_Branch_2_Branch_2_Bias, 8));
                _velocity_L2_Branch_2_Branch_2_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L2_Branch_2_Branch_2_Bias, 8));
                P_L3_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L3_Weight, 24));
                _velocity_L3_Weight.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L3_Weight, 24));
                P_L3_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(parameters, L3_Bias, 3));
                _velocity_L3_Bias.CopyFrom(new global::System.ReadOnlySpan<float>(optimizerState[0], L3_Bias, 3));
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
                P_L1_Branch_0_Weight.CopyTo(new global::System.Span<float>(parameters, L1_Branch_0_Weight, 64));
                G_L1_Branch_0_Weight.CopyTo(new global::System.Span<float>(gradients, L1_Branch_0_Weight, 64));
                _velocity_L1_Branch_0_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L1_Branch_0_Weight, 64));
                P_L1_Branch_0_Bias.CopyTo(new global::System.Span<float>(parameters, L1_Branch_0_Bias, 8));
                G_L1_Branch_0_Bias.CopyTo(new global::System.Span<float>(gradients, L1_Branch_0_Bias, 8));
                _velocity_L1_Branch_0_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L1_Branch_0_Bias, 8));
                P_L1_Branch_2_Weight.CopyTo(new global::System.Span<float>(parameters, L1_Branch_2_Weight, 64));
                G_L1_Branch_2_Weight.CopyTo(new global::System.Span<float>(gradients, L1_Branch_2_Weight, 64));
                _velocity_L1_Branch_2_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L1_Branch_2_Weight, 64));
                P_L1_Branch_2_Bias.CopyTo(new global::System.Span<float>(parameters, L1_Branch_2_Bias, 8));
                G_L1_Branch_2_Bias.CopyTo(new global::System.Span<float>(gradients, L1_Branch_2_Bias, 8));
                _velocity_L1_Branch_2_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L1_Branch_2_Bias, 8));
                P_L2_Branch_0_Weight.CopyTo(new global::System.Span<float>(parameters, L2_Branch_0_Weight, 64));
                G_L2_Branch_0_Weight.CopyTo(new global::System.Span<float>(gradients, L2_Branch_0_Weight, 64));
                _velocity_L2_Branch_0_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_0_Weight, 64));
                P_L2_Branch_0_Bias.CopyTo(new global::System.Span<float>(parameters, L2_Branch_0_Bias, 8));
                G_L2_Branch_0_Bias.CopyTo(new global::System.Span<float>(gradients, L2_Branch_0_Bias, 8));
                _velocity_L2_Branch_0_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_0_Bias, 8));
                P_L2_Branch_2_Branch_0_Weight.CopyTo(new global::System.Span<float>(parameters, L2_Branch_2_Branch_0_Weight, 64));
                G_L2_Branch_2_Branch_0_Weight.CopyTo(new global::System.Span<float>(gradients, L2_Branch_2_Branch_0_Weight, 64));
                _velocity_L2_Branch_2_Branch_0_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_2_Branch_0_Weight, 64));
                P_L2_Branch_2_Branch_0_Bias.CopyTo(new global::System.Span<float>(parameters, L2_Branch_2_Branch_0_Bias, 8));
                G_L2_Branch_2_Branch_0_Bias.CopyTo(new global::System.Span<float>(gradients, L2_Branch_2_Branch_0_Bias, 8));
                _velocity_L2_Branch_2_Branch_0_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_2_Branch_0_Bias, 8));
                P_L2_Branch_2_Branch_2_Weight.CopyTo(new global::System.Span<float>(parameters, L2_Branch_2_Branch_2_Weight, 64));
                G_L2_Branch_2_Branch_2_Weight.CopyTo(new global::System.Span<float>(gradients, L2_Branch_2_Branch_2_Weight, 64));
                _velocity_L2_Branch_2_Branch_2_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_2_Branch_2_Weight, 64));
                P_L2_Branch_2_Branch_2_Bias.CopyTo(new global::System.Span<float>(parameters, L2_Branch_2_Branch_2_Bias, 8));
                G_L2_Branch_2_Branch_2_Bias.CopyTo(new global::System.Span<float>(gradients, L2_Branch_2_Branch_2_Bias, 8));
                _velocity_L2_Branch_2_Branch_2_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L2_Branch_2_Branch_2_Bias, 8));
                P_L3_Weight.CopyTo(new global::System.Span<float>(parameters, L3_Weight, 24));
                G_L3_Weight.CopyTo(new global::System.Span<float>(gradients, L3_Weight, 24));
                _velocity_L3_Weight.CopyTo(new global::System.Span<float>(optimizerState[0], L3_Weight, 24));
                P_L3_Bias.CopyTo(new global::System.Span<float>(parameters, L3_Bias, 3));
                G_L3_Bias.CopyTo(new global::System.Span<float>(gradients, L3_Bias, 3));
                _velocity_L3_Bias.CopyTo(new global::System.Span<float>(optimizerState[0], L3_Bias, 3));
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
                    A_L3_Y.CopyTo(outputs.Slice(start * OutputSize, B * OutputSize));
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
                norm = clipNorm is null ? double.NaN : global::System.Math.Sqrt(_host[29]); // ‖g‖ before clipping
                double loss = _host[0] / B; // the mean of the loss terms
                squares = 0;
                for (int i = 1; i < 15; i++)
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
                norm = clipNorm is null ? double.NaN : global::System.Math.Sqrt(_host[29]); // ‖g‖ before clipping
                double loss = _host[0] / B; // the mean of the loss terms
                squares = 0;
                for (int i = 1; i < 15; i++)
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
                // ── [0] stem: Dense 6 → 8 ────────────────────────────────────────────────────────────────────────
                // y[B,8] = x[B,6] · W[8,6]ᵀ + b[8]
                // ng_sgemm: C[B×8] = A[B×6] · B[8×6]ᵀ + bias in the epilogue; 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 6, _x, 6, P_L0_Weight, 6, A_L0_Y, 8, 0f, P_L0_Bias, global::NetGen.Cuda.CudaActivation.Identity);

                // ── [1.branch.0] dense_1_branch_0: Dense 8 → 8 ───────────────────────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8], then y = max(0, x) → output of [1.branch.1]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias, then ReLU in the epilogue (the store of [1.branch.1]); 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L0_Y, 8, P_L1_Branch_0_Weight, 8, A_L1_Branch_1_Y, 8, 0f, P_L1_Branch_0_Bias, global::NetGen.Cuda.CudaActivation.ReLU);

                // ── [1.branch.1] relu_1_branch_1: ReLU [8] ───────────────────────────────────────────────────────
                // y = max(0, x)
                // applied by [1.branch.0]'s ng_sgemm as it stores its output here (epilogue)

                // ── [1.branch.2] dense_1_branch_2: Dense 8 → 8 ───────────────────────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias in the epilogue; 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L1_Branch_1_Y, 8, P_L1_Branch_2_Weight, 8, A_L1_Branch_2_Y, 8, 0f, P_L1_Branch_2_Bias, global::NetGen.Cuda.CudaActivation.Identity);

                // ── [1.drop_path] residual_1_drop_path: Stochastic depth p = 0.0666666666666667 (block 1 of 3: p = 1/3 · 0.2) [8] ────
                // training: m[b] = 1(u_b ≥ p) / (1 − p) per sample, u_b ~ U[0,1) keyed by (seed, node 4, step);  y[b,:] = m[b]·branch(x)[b,:].   inference: y = branch(x)
                if (training)
                {
                    // ng_row_dropout_forward: [B×8], m[b] = Uniform(key, b) ≥ p ? 1/(1 − p) : 0 per sample, the CPU's counter RNG and key
                    _k.RowDropoutForward(A_L1_Branch_2_Y, A_L1_DropPath_Y, A_L1_DropPath_Mask, 8, 0.06666666666666667, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 4, (ulong)step));
                }
                else
                {
                    // y = x: a copy [B×8] (ng_leaky_relu_forward with slope 1, exact)
                    _k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, A_L1_Branch_2_Y, A_L1_DropPath_Y, 1f);
                }

                // ── [1] residual_1: Residual GpuDenseBlock: y = branch(x) + x [8] ────────────────────────────────
                // y[B,8] = branch(x) + x (identity shortcut)
                // ng_add: y[B×8] = branch + shortcut
                _k.Add(A_L1_DropPath_Y, A_L0_Y, A_L1_Y);

                // ── [2.branch.0] dense_2_branch_0: Dense 8 → 8 ───────────────────────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8], then y = tanh(x) → output of [2.branch.1]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias, then Tanh in the epilogue (the store of [2.branch.1]); 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L1_Y, 8, P_L2_Branch_0_Weight, 8, A_L2_Branch_1_Y, 8, 0f, P_L2_Branch_0_Bias, global::NetGen.Cuda.CudaActivation.Tanh);

                // ── [2.branch.1] tanh_2_branch_1: Tanh [8] ───────────────────────────────────────────────────────
                // y = tanh(x)
                // applied by [2.branch.0]'s ng_sgemm as it stores its output here (epilogue)

                // ── [2.branch.2.branch.0] dense_2_branch_2_branch_0: Dense 8 → 8 ─────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8], then y = max(0, x) → output of [2.branch.2.branch.1]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias, then ReLU in the epilogue (the store of [2.branch.2.branch.1]); 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L2_Branch_1_Y, 8, P_L2_Branch_2_Branch_0_Weight, 8, A_L2_Branch_2_Branch_1_Y, 8, 0f, P_L2_Branch_2_Branch_0_Bias, global::NetGen.Cuda.CudaActivation.ReLU);

                // ── [2.branch.2.branch.1] relu_2_branch_2_branch_1: ReLU [8] ─────────────────────────────────────
                // y = max(0, x)
                // applied by [2.branch.2.branch.0]'s ng_sgemm as it stores its output here (epilogue)

                // ── [2.branch.2.branch.2] dense_2_branch_2_branch_2: Dense 8 → 8 ─────────────────────────────────
                // y[B,8] = x[B,8] · W[8,8]ᵀ + b[8]
                // ng_sgemm: C[B×8] = A[B×8] · B[8×8]ᵀ + bias in the epilogue; 16×16 tiles, grid ⌈8/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 8, 8, A_L2_Branch_2_Branch_1_Y, 8, P_L2_Branch_2_Branch_2_Weight, 8, A_L2_Branch_2_Branch_2_Y, 8, 0f, P_L2_Branch_2_Branch_2_Bias, global::NetGen.Cuda.CudaActivation.Identity);

                // ── [2.branch.2.drop_path] residual_2_branch_2_drop_path: Stochastic depth p = 0.2 (block 3 of 3: p = 3/3 · 0.2) [8] ────
                // training: m[b] = 1(u_b ≥ p) / (1 − p) per sample, u_b ~ U[0,1) keyed by (seed, node 11, step);  y[b,:] = m[b]·branch(x)[b,:].   inference: y = branch(x)
                if (training)
                {
                    // ng_row_dropout_forward: [B×8], m[b] = Uniform(key, b) ≥ p ? 1/(1 − p) : 0 per sample, the CPU's counter RNG and key
                    _k.RowDropoutForward(A_L2_Branch_2_Branch_2_Y, A_L2_Branch_2_DropPath_Y, A_L2_Branch_2_DropPath_Mask, 8, 0.20000000000000004, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 11, (ulong)step));
                }
                else
                {
                    // y = x: a copy [B×8] (ng_leaky_relu_forward with slope 1, exact)
                    _k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, A_L2_Branch_2_Branch_2_Y, A_L2_Branch_2_DropPath_Y, 1f);
                }

                // ── [2.branch.2] residual_2_branch_2: Residual GpuDenseBlock: y = branch(x) + x [8] ──────────────
                // y[B,8] = branch(x) + x (identity shortcut)
                // ng_add: y[B×8] = branch + shortcut
                _k.Add(A_L2_Branch_2_DropPath_Y, A_L2_Branch_1_Y, A_L2_Branch_2_Y);

                // ── [2.drop_path] residual_2_drop_path: Stochastic depth p = 0.3 [8] ─────────────────────────────
                // training: m[b] = 1(u_b ≥ p) / (1 − p) per sample, u_b ~ U[0,1) keyed by (seed, node 13, step);  y[b,:] = m[b]·branch(x)[b,:].   inference: y = branch(x)
                if (training)
                {
                    // ng_row_dropout_forward: [B×8], m[b] = Uniform(key, b) ≥ p ? 1/(1 − p) : 0 per sample, the CPU's counter RNG and key
                    _k.RowDropoutForward(A_L2_Branch_2_Y, A_L2_DropPath_Y, A_L2_DropPath_Mask, 8, 0.3, global::NetGen.CounterRng.Key(seed, global::NetGen.CounterRng.DropoutStream, 13, (ulong)step));
                }
                else
                {
                    // y = x: a copy [B×8] (ng_leaky_relu_forward with slope 1, exact)
                    _k.ActivationForward(global::NetGen.Cuda.CudaActivation.LeakyReLU, A_L2_Branch_2_Y, A_L2_DropPath_Y, 1f);
                }

                // ── [2] residual_2: Residual GpuNestedBlock: y = branch(x) + x [8] ───────────────────────────────
                // y[B,8] = branch(x) + x (identity shortcut)
                // ng_add: y[B×8] = branch + shortcut
                _k.Add(A_L2_DropPath_Y, A_L1_Y, A_L2_Y);

                // ── [3] head: Dense 8 → 3 ────────────────────────────────────────────────────────────────────────
                // y[B,3] = x[B,8] · W[3,8]ᵀ + b[3]
                // ng_sgemm: C[B×3] = A[B×8] · B[3×8]ᵀ + bias in the epilogue; 16×16 tiles, grid ⌈3/16⌉ × ⌈B/16⌉
                _k.Sgemm(false, true, B, 3, 8, A_L2_Y, 8, P_L3_Weight, 8, A_L3_Y, 3, 0f, P_L3_Bias, global::NetGen.Cuda.CudaActivation.Identity);
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
                _k.SoftmaxCrossEntropy(A_L3_Y, _targets, D_L3_Y, _lossTerms, B, 3);
                _k.Sum(_lossTerms, B, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]
            }

            /// <summary>As Loss, against target distributions [B, C] (soft targets, in _targetProbabilities).</summary>
            private void ProbabilityLoss(int B)
            {
                // ── loss: softmax cross-entropy against probability rows t over output[B, 3] (PyTorch: nn.CrossEntropyLoss() with probability targets)
                // L = (1/B) Σ_i Σ_j q_ij (lse_i − f_ij),  q_i = t_i,  lse_i = m_i + log Σ_j e^(f_ij − m_i), m_i = max_j f_ij
                // rows are not renormalised (as PyTorch): s_i = Σ_j q_ij weighs example i;  fused backward: ∂L/∂f = (s_i·softmax(f) − q) / B
                // ng_softmax_cross_entropy_soft: one thread per row of [B×3]; q = t, s = Σq; loss terms in double, ∂L/∂f = (s·softmax(f) − q) / B
                _k.SoftmaxCrossEntropy(A_L3_Y, _targetProbabilities, D_L3_Y, _lossTerms, B, 3);
                _k.Sum(_lossTerms, B, _results.Slice(0, 1)); // ng_reduce_sum_f64 (one block, a fixed tree): Σ terms → _results[0]
            }

            /// <summary>Backward: the same nodes in reverse order, from ∂L/∂output (left by Loss) to every parameter gradient of the data
            /// loss; each parameter gradient has one writer, which overwrites it. Every gradient has its own buffer, but a residual addition's
            /// inputs share its output's (the gradient passes through unchanged), and a tensor's second consumer adds its part with ng_add.</summary>
            private void Backward(int B)
            {
                // ── [3] head: Dense 8 → 3 · backward ─────────────────────────────────────────────────────────────
                // dx[B,8] = dy[B,3] · W[3,8];  dW[3,8] = dyᵀ · x;  db[3] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×3] · W[3×8]
                _k.Sgemm(false, false, B, 8, 3, D_L3_Y, 3, P_L3_Weight, 8, D_L2_Y, 8);
                // ng_sgemm: dW[3×8] = dyᵀ[3×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 3, 8, B, D_L3_Y, 3, A_L2_Y, 8, G_L3_Weight, 8);
                // ng_column_sums: db[3] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L3_Y, G_L3_Bias, B, 3, accumulate: false);

                // ── [2] residual_2: Residual GpuNestedBlock: y = branch(x) + x [8] · backward ────────────────────
                // d branch(x) = dy;  d shortcut(x) = dy: aliases of dy, no code (their sum into dx is added where the second contribution arrives)

                // ── [2.drop_path] residual_2_drop_path: Stochastic depth p = 0.3 [8] · backward ──────────────────
                // d branch(x)[b,:] = m[b]·dy[b,:]
                // ng_row_scale: dx[B×8] = m[b]·dy[b,:]
                _k.RowDropoutBackward(D_L2_Y, A_L2_DropPath_Mask, D_L2_Branch_2_Y, 8);

                // ── [2.branch.2] residual_2_branch_2: Residual GpuDenseBlock: y = branch(x) + x [8] · backward ────
                // d branch(x) = dy;  d shortcut(x) = dy: aliases of dy, no code (their sum into dx is added where the second contribution arrives)

                // ── [2.branch.2.drop_path] residual_2_branch_2_drop_path: Stochastic depth p = 0.2 (block 3 of 3: p = 3/3 · 0.2) [8] · backward ────
                // d branch(x)[b,:] = m[b]·dy[b,:]
                // ng_row_scale: dx[B×8] = m[b]·dy[b,:]
                _k.RowDropoutBackward(D_L2_Branch_2_Y, A_L2_Branch_2_DropPath_Mask, D_L2_Branch_2_Branch_2_Y, 8);

                // ── [2.branch.2.branch.2] dense_2_branch_2_branch_2: Dense 8 → 8 · backward ──────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L2_Branch_2_Branch_2_Y, 8, P_L2_Branch_2_Branch_2_Weight, 8, D_L2_Branch_2_Branch_1_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L2_Branch_2_Branch_2_Y, 8, A_L2_Branch_2_Branch_1_Y, 8, G_L2_Branch_2_Branch_2_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L2_Branch_2_Branch_2_Y, G_L2_Branch_2_Branch_2_Bias, B, 8, accumulate: false);

                // ── [2.branch.2.branch.1] relu_2_branch_2_branch_1: ReLU [8] · backward ──────────────────────────
                // dx = dy ⊙ 1(y > 0)
                // ng_relu_backward: [B×8], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.ReLU, dy: D_L2_Branch_2_Branch_1_Y, x: A_L2_Branch_2_Branch_1_Y, y: A_L2_Branch_2_Branch_1_Y, dx: D_L2_Branch_2_Branch_0_Y);

                // ── [2.branch.2.branch.0] dense_2_branch_2_branch_0: Dense 8 → 8 · backward ──────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L2_Branch_2_Branch_0_Y, 8, P_L2_Branch_2_Branch_0_Weight, 8, T_L2_Branch_1_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L2_Branch_2_Branch_0_Y, 8, A_L2_Branch_1_Y, 8, G_L2_Branch_2_Branch_0_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L2_Branch_2_Branch_0_Y, G_L2_Branch_2_Branch_0_Bias, B, 8, accumulate: false);
                _k.Accumulate(D_L2_Branch_2_Y, T_L2_Branch_1_Y); // ng_add: ∂L/∂x has a second consumer, add its contribution

                // ── [2.branch.1] tanh_2_branch_1: Tanh [8] · backward ────────────────────────────────────────────
                // dx = dy ⊙ (1 − y²)
                // ng_tanh_backward: [B×8], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.Tanh, dy: D_L2_Branch_2_Y, x: A_L2_Branch_1_Y, y: A_L2_Branch_1_Y, dx: D_L2_Branch_0_Y);

                // ── [2.branch.0] dense_2_branch_0: Dense 8 → 8 · backward ────────────────────────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L2_Branch_0_Y, 8, P_L2_Branch_0_Weight, 8, T_L1_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L2_Branch_0_Y, 8, A_L1_Y, 8, G_L2_Branch_0_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L2_Branch_0_Y, G_L2_Branch_0_Bias, B, 8, accumulate: false);
                _k.Accumulate(D_L2_Y, T_L1_Y); // ng_add: ∂L/∂x has a second consumer, add its contribution

                // ── [1] residual_1: Residual GpuDenseBlock: y = branch(x) + x [8] · backward ─────────────────────
                // d branch(x) = dy;  d shortcut(x) = dy: aliases of dy, no code (their sum into dx is added where the second contribution arrives)

                // ── [1.drop_path] residual_1_drop_path: Stochastic depth p = 0.0666666666666667 (block 1 of 3: p = 1/3 · 0.2) [8] · backward ────
                // d branch(x)[b,:] = m[b]·dy[b,:]
                // ng_row_scale: dx[B×8] = m[b]·dy[b,:]
                _k.RowDropoutBackward(D_L2_Y, A_L1_DropPath_Mask, D_L1_Branch_2_Y, 8);

                // ── [1.branch.2] dense_1_branch_2: Dense 8 → 8 · backward ────────────────────────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L1_Branch_2_Y, 8, P_L1_Branch_2_Weight, 8, D_L1_Branch_1_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L1_Branch_2_Y, 8, A_L1_Branch_1_Y, 8, G_L1_Branch_2_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L1_Branch_2_Y, G_L1_Branch_2_Bias, B, 8, accumulate: false);

                // ── [1.branch.1] relu_1_branch_1: ReLU [8] · backward ────────────────────────────────────────────
                // dx = dy ⊙ 1(y > 0)
                // ng_relu_backward: [B×8], reads y only
                _k.ActivationBackward(global::NetGen.Cuda.CudaActivation.ReLU, dy: D_L1_Branch_1_Y, x: A_L1_Branch_1_Y, y: A_L1_Branch_1_Y, dx: D_L1_Branch_0_Y);

                // ── [1.branch.0] dense_1_branch_0: Dense 8 → 8 · backward ────────────────────────────────────────
                // dx[B,8] = dy[B,8] · W[8,8];  dW[8,8] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dx[B×8] = dy[B×8] · W[8×8]
                _k.Sgemm(false, false, B, 8, 8, D_L1_Branch_0_Y, 8, P_L1_Branch_0_Weight, 8, T_L0_Y, 8);
                // ng_sgemm: dW[8×8] = dyᵀ[8×B] · x[B×8] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 8, B, D_L1_Branch_0_Y, 8, A_L0_Y, 8, G_L1_Branch_0_Weight, 8);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L1_Branch_0_Y, G_L1_Branch_0_Bias, B, 8, accumulate: false);
                _k.Accumulate(D_L2_Y, T_L0_Y); // ng_add: ∂L/∂x has a second consumer, add its contribution

                // ── [0] stem: Dense 6 → 8 · backward ─────────────────────────────────────────────────────────────
                // dW[8,6] = dyᵀ · x;  db[8] = Σ_B dy
                // ng_sgemm: dW[8×6] = dyᵀ[8×B] · x[B×6] (overwritten: the gradient's one writer)
                _k.Sgemm(true, false, 8, 6, B, D_L2_Y, 8, _x, 6, G_L0_Weight, 6);
                // ng_column_sums: db[8] = Σ_B dy, one thread per column, rows in order
                _k.ColumnSums(D_L2_Y, G_L0_Bias, B, 8, accumulate: false);
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
                _k.ClipByValue(G_L1_Branch_0_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L1_Branch_0_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L1_Branch_2_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L1_Branch_2_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_0_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_0_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_2_Branch_0_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_2_Branch_0_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_2_Branch_2_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L2_Branch_2_Branch_2_Bias, value); // ng_clip_by_value
                _k.ClipByValue(G_L3_Weight, value); // ng_clip_by_value
                _k.ClipByValue(G_L3_Bias, value); // ng_clip_by_value
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

                _k.SumOfSquares(G_L0_Weight, _results.Slice(15, 1));
                _k.SumOfSquares(G_L0_Bias, _results.Slice(16, 1));
                _k.SumOfSquares(G_L1_Branch_0_Weight, _results.Slice(17, 1));
                _k.SumOfSquares(G_L1_Branch_0_Bias, _results.Slice(18, 1));
                _k.SumOfSquares(G_L1_Branch_2_Weight, _results.Slice(19, 1));
                _k.SumOfSquares(G_L1_Branch_2_Bias, _results.Slice(20, 1));
                _k.SumOfSquares(G_L2_Branch_0_Weight, _results.Slice(21, 1));
                _k.SumOfSquares(G_L2_Branch_0_Bias, _results.Slice(22, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_0_Weight, _results.Slice(23, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_0_Bias, _results.Slice(24, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_2_Weight, _results.Slice(25, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_2_Bias, _results.Slice(26, 1));
                _k.SumOfSquares(G_L3_Weight, _results.Slice(27, 1));
                _k.SumOfSquares(G_L3_Bias, _results.Slice(28, 1));
                _k.Sum(_results.Slice(15, 14), 14, _results.Slice(29, 1)); // ‖g‖² over every gradient (ng_reduce_sum_f64)
                _k.ScaleToNorm(G_L0_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L0_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L1_Branch_0_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L1_Branch_0_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L1_Branch_2_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L1_Branch_2_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_0_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_0_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_2_Branch_0_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_2_Branch_0_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_2_Branch_2_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L2_Branch_2_Branch_2_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L3_Weight, max, _results.Slice(29, 1)); // ng_clip_by_norm
                _k.ScaleToNorm(G_L3_Bias, max, _results.Slice(29, 1)); // ng_clip_by_norm
            }

            /// <summary>The finiteness check's launches: Σg² in double of each parameter gradient into _results (finite exactly when every
            /// gradient element is).</summary>
            private void Sums()
            {
                _k.SumOfSquares(G_L0_Weight, _results.Slice(1, 1));
                _k.SumOfSquares(G_L0_Bias, _results.Slice(2, 1));
                _k.SumOfSquares(G_L1_Branch_0_Weight, _results.Slice(3, 1));
                _k.SumOfSquares(G_L1_Branch_0_Bias, _results.Slice(4, 1));
                _k.SumOfSquares(G_L1_Branch_2_Weight, _results.Slice(5, 1));
                _k.SumOfSquares(G_L1_Branch_2_Bias, _results.Slice(6, 1));
                _k.SumOfSquares(G_L2_Branch_0_Weight, _results.Slice(7, 1));
                _k.SumOfSquares(G_L2_Branch_0_Bias, _results.Slice(8, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_0_Weight, _results.Slice(9, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_0_Bias, _results.Slice(10, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_2_Weight, _results.Slice(11, 1));
                _k.SumOfSquares(G_L2_Branch_2_Branch_2_Bias, _results.Slice(12, 1));
                _k.SumOfSquares(G_L3_Weight, _results.Slice(13, 1));
                _k.SumOfSquares(G_L3_Bias, _results.Slice(14, 1));
            }

            /// <summary>Optimizer launches, one per parameter tensor; <paramref name="step"/> counts updates from 1;
            /// <paramref name="learningRate"/> is the network's LearningRate at this step.</summary>
            private void Update(long step, double learningRate)
            {
                _ = step;
                // SGD with momentum (lr 0.05, μ 0.9): v ← μ·v + g;  p ← p − lr·v   (the CPU's operations in the CPU's order, scalars from the host)
                _k.Momentum(P_L0_Weight, G_L0_Weight, _velocity_L0_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L0_Bias, G_L0_Bias, _velocity_L0_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L1_Branch_0_Weight, G_L1_Branch_0_Weight, _velocity_L1_Branch_0_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L1_Branch_0_Bias, G_L1_Branch_0_Bias, _velocity_L1_Branch_0_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L1_Branch_2_Weight, G_L1_Branch_2_Weight, _velocity_L1_Branch_2_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L1_Branch_2_Bias, G_L1_Branch_2_Bias, _velocity_L1_Branch_2_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_0_Weight, G_L2_Branch_0_Weight, _velocity_L2_Branch_0_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_0_Bias, G_L2_Branch_0_Bias, _velocity_L2_Branch_0_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_2_Branch_0_Weight, G_L2_Branch_2_Branch_0_Weight, _velocity_L2_Branch_2_Branch_0_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_2_Branch_0_Bias, G_L2_Branch_2_Branch_0_Bias, _velocity_L2_Branch_2_Branch_0_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_2_Branch_2_Weight, G_L2_Branch_2_Branch_2_Weight, _velocity_L2_Branch_2_Branch_2_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L2_Branch_2_Branch_2_Bias, G_L2_Branch_2_Branch_2_Bias, _velocity_L2_Branch_2_Branch_2_Bias, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L3_Weight, G_L3_Weight, _velocity_L3_Weight, (float)learningRate, (float)0.9, nesterov: false);
                _k.Momentum(P_L3_Bias, G_L3_Bias, _velocity_L3_Bias, (float)learningRate, (float)0.9, nesterov: false);
            }
        }