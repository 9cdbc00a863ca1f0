using System;
using System.Runtime.CompilerServices;

namespace NetGen;

/// <summary>
/// Counter-based random numbers: element <c>i</c> of stream <c>key</c> is a pure function of <c>(key, i)</c>
/// (the SplitMix64 finaliser), so any element is computable on its own, in any order, on any thread or
/// backend, and the PyTorch reference script recomputes the same values with 64-bit integer arithmetic.
/// </summary>
/// <remarks>
/// All arithmetic is modulo 2⁶⁴:
/// <code>
/// mix(z)                  = z ^= z &gt;&gt; 30; z *= 0xBF58476D1CE4E5B9; z ^= z &gt;&gt; 27; z *= 0x94D049BB133111EB; z ^ (z &gt;&gt; 31)
/// Derive(a, b)            = mix(a + 0x9E3779B97F4A7C15 · (b + 1))
/// Key(seed, stream, a, b) = Derive(Derive(Derive(seed, stream), a), b)
/// Bits(key, i)            = Derive(key, i)
/// </code>
/// </remarks>
public static class CounterRng
{
    /// <summary>Stream of parameter initialisation: tensor <c>t</c> (state-dict order) uses <c>Key(seed, InitStream, t, 0)</c>.</summary>
    public const ulong InitStream = 0;

    /// <summary>Stream of dropout masks: <c>Key(seed, DropoutStream, layerIndex, step)</c>.</summary>
    public const ulong DropoutStream = 1;

    /// <summary>Stream of the mini-batch order: <c>Key(seed, ShuffleStream, epoch, 0)</c>.</summary>
    public const ulong ShuffleStream = 2;

    /// <summary>The golden-ratio increment of SplitMix64, 2⁶⁴/φ.</summary>
    private const ulong Gamma = 0x9E3779B97F4A7C15;

    /// <summary>z ^= z &gt;&gt; 30; z *= 0xBF58476D1CE4E5B9; z ^= z &gt;&gt; 27; z *= 0x94D049BB133111EB; z ^ (z &gt;&gt; 31)</summary>
    /// <param name="z">Any 64-bit value.</param>
    /// <returns>The SplitMix64 finaliser of <paramref name="z"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            return z ^ (z >> 31);
        }
    }

    /// <summary>mix(a + 0x9E3779B97F4A7C15 · (b + 1))</summary>
    /// <param name="a">The parent key.</param>
    /// <param name="b">The child index.</param>
    /// <returns>The key of child <paramref name="b"/> of <paramref name="a"/>.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Derive(ulong a, ulong b) => Mix(unchecked(a + (Gamma * (b + 1))));

    /// <summary>Derive(Derive(Derive(seed, stream), a), b)</summary>
    /// <param name="seed">The user's seed.</param>
    /// <param name="stream"><see cref="InitStream"/>, <see cref="DropoutStream"/> or <see cref="ShuffleStream"/>.</param>
    /// <param name="a">First coordinate (tensor number, layer index, epoch).</param>
    /// <param name="b">Second coordinate (step; 0 where unused).</param>
    /// <returns>The key of the stream at (<paramref name="a"/>, <paramref name="b"/>).</returns>
    public static ulong Key(ulong seed, ulong stream, ulong a, ulong b) => Derive(Derive(Derive(seed, stream), a), b);

    /// <summary>Derive(key, i)</summary>
    /// <param name="key">A key from <see cref="Key"/>.</param>
    /// <param name="i">Element index.</param>
    /// <returns>64 random bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Bits(ulong key, ulong i) => Derive(key, i);

    /// <summary>(Bits(key, i) &gt;&gt; 40) · 2⁻²⁴, a float in [0, 1)</summary>
    /// <param name="key">A key from <see cref="Key"/>.</param>
    /// <param name="i">Element index.</param>
    /// <returns>A uniform float in [0, 1) with 24 random bits (exact).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(ulong key, ulong i) => (Bits(key, i) >> 40) * (1.0f / (1 << 24));

    /// <summary>(Bits(key, i) &gt;&gt; 11) · 2⁻⁵³, a double in [0, 1)</summary>
    /// <param name="key">A key from <see cref="Key"/>.</param>
    /// <param name="i">Element index.</param>
    /// <returns>A uniform double in [0, 1) with 53 random bits (exact).</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static double UniformDouble(ulong key, ulong i) => (Bits(key, i) >> 11) * (1.0 / (1UL << 53));

    /// <summary>√(−2 ln(1 − UniformDouble(key, 2i))) · cos(2π · UniformDouble(key, 2i+1))</summary>
    /// <param name="key">A key from <see cref="Key"/>.</param>
    /// <param name="i">Element index (consumes uniforms 2i and 2i+1).</param>
    /// <returns>A standard normal double (Box–Muller, cosine branch).</returns>
    public static double Normal(ulong key, ulong i)
    {
        ulong j = unchecked(2 * i);
        double u1 = UniformDouble(key, j);
        double u2 = UniformDouble(key, unchecked(j + 1));
        return Math.Sqrt(-2.0 * Math.Log(1.0 - u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
