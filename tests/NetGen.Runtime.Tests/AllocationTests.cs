using NetGen.Data;
using NetGen.Kernels;

namespace NetGen.Runtime.Tests;

/// <summary>The kernels a generated training step calls must not allocate. In <see cref="KernelStateCollection"/>: one
/// test forgets every kernel's job object, which must not happen while another test measures.</summary>
[Collection(nameof(KernelStateCollection))]
public class AllocationTests
{
    [Fact]
    public void TrainingStepKernels_DoNotAllocate()
    {
        const int B = 16, I = 37, H = 20, C = 10;
        float[] x = TestUtil.Random<float>(B * I, 1), w1 = TestUtil.Random<float>(H * I, 2), b1 = new float[H];
        float[] w2 = TestUtil.Random<float>(C * H, 3), b2 = new float[C];
        float[] h = new float[B * H], a = new float[B * H], mask = new float[B * H], logits = new float[B * C];
        float[] dlogits = new float[B * C], da = new float[B * H], dh = new float[B * H];
        float[] dw1 = new float[H * I], db1 = new float[H], dw2 = new float[C * H], db2 = new float[C];
        float[] m = new float[H * I], v = new float[H * I], velocity = new float[C * H];
        int[] labels = new int[B];
        var batches = new Batches(B * 4, B, 1);
        float[] data = new float[B * 4 * I];
        int[] allLabels = new int[B * 4];

        void Step(long step)
        {
            batches.Shuffle(step);
            batches.Gather<float>(0, data, I, x);
            batches.GatherLabels(0, allLabels, labels);
            Dense.Forward<float>(x, w1, b1, h, B, I, H);
            Activations.EluForward<float>(h, a, 1f);
            Dropout.Forward<float>(a, a, mask, 0.2, CounterRng.Key(1, CounterRng.DropoutStream, 2, (ulong)step));
            Dense.Forward<float>(a, w2, b2, logits, B, H, C);
            double loss = Losses.SoftmaxCrossEntropy<float>(logits, labels, dlogits, B, C);
            loss += Losses.MulticlassHinge<float>(logits, labels, dlogits, B, C);
            loss += Regularization.SumOfSquares<float>(w1);
            Dense.Backward<float>(dlogits, a, w2, da, dw2, db2, B, H, C);
            Dropout.Backward<float>(da, mask, da);
            Activations.EluBackward<float>(da, h, a, dh, 1f);
            Activations.ReLUForward<float>(h, a);
            Activations.ReLUBackward<float>(da, a, dh);
            Activations.TanhForward<float>(h, a);
            Activations.SigmoidForward<float>(h, a);
            Dense.Backward<float>(dh, x, w1, default, dw1, db1, B, I, H);
            Regularization.AddL2Gradient<float>(w1, dw1, 1e-4f);
            Optimizers.Adam<float>(w1, dw1, m, v, 1e-3f, 0.9f, 0.999f, 1e-8f, step + 1);
            Optimizers.Momentum<float>(w2, dw2, velocity, 1e-3f, 0.9f);
            Optimizers.Sgd<float>(b1, db1, 1e-3f);
            Assert.True(double.IsFinite(loss));
        }

        int step = 0;
        AllocationProbe.AssertNoAllocation(() => Step(step++), warmups: 50, repeats: 10);
    }

    [Fact]
    public void ParallelKernels_WarmedUpWhileTheWorkersWereBusy_AllocateNothingWhenTheySplitLater()
    {
        // What made two allocation tests flaky (88 bytes, now and then): their warm-up found the workers held by a test
        // running in parallel, so it ran on one thread, and the first call that split afterwards created the kernel's
        // shared job object inside the measured window. Every kernel that can split must create it on any first call.
        const int batch = 300, hidden = 100, m = 64, k = 784, n = 256, parameters = 1 << 17;
        float[] x = TestUtil.Random<float>(batch * 2, 1), w0 = TestUtil.Random<float>(hidden * 2, 2), b0 = TestUtil.Random<float>(hidden, 3);
        float[] w1 = TestUtil.Random<float>(3 * hidden, 4), b1 = TestUtil.Random<float>(3, 5), dy = TestUtil.Random<float>(batch * 3, 6);
        float[] y = new float[batch * 3], dw0 = new float[hidden * 2], db0 = new float[hidden], dw1 = new float[3 * hidden], db1 = new float[3];
        float[] scratch = new float[DenseReLUDense.ScratchLength(2, hidden, 3)];
        float[] a = TestUtil.Random<float>(m * k, 7), b = TestUtil.Random<float>(n * k, 8), c = new float[m * n];
        float[] p = TestUtil.Random<float>(parameters, 9), g = TestUtil.Random<float>(parameters, 10);
        float[] moment1 = new float[parameters], moment2 = new float[parameters];
        long step = 0;

        void Calls()
        {
            DenseReLUDense.Forward<float>(x, w0, b0, w1, b1, y, batch, 2, hidden, 3, scratch);
            DenseReLUDense.Backward<float>(dy, x, w0, b0, w1, dw0, db0, dw1, db1, batch, 2, hidden, 3, scratch, accumulate: false);
            Gemm.MatMulNT<float>(a, b, c, m, n, k, accumulate: false, GemmMode.PackedParallel);
            Optimizers.Adam<float>(p, g, moment1, moment2, 1e-3f, 0.9f, 0.999f, 1e-8f, ++step);
        }

        void FirstCallsOnOneThread()
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!Workers.TryAcquire())
            {
                Assert.True(DateTime.UtcNow < deadline, "the worker pool stayed busy");
                Thread.Sleep(1);
            }
            try
            {
                Workers.ForgetJobObjects(); // every kernel's next call is a first call again
                Calls();
                Calls();
            }
            finally
            {
                Workers.RunAndRelease(new NoWork(), 1);
            }
        }

        AllocationProbe.AssertNoAllocation(Calls, warmups: 0, repeats: 3, beforeEachWindow: FirstCallsOnOneThread);
    }

    private sealed class NoWork : ParallelJob
    {
        public override void Run(int part, int parts)
        {
        }
    }
}
