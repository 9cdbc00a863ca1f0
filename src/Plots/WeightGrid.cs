using System;
using System.Collections.Generic;
using System.Globalization;
using SkiaSharp;

namespace NetGen;

/// <summary>
/// A layer's weights as a grid of small images, one tile per unit or filter (the pictures of Krizhevsky et al. 2012,
/// Fig. 3, and of the CS231n notes, "visualizing the learned weights"): a Dense unit's weights reshaped to the input
/// image (784 → 28 × 28 for MNIST), a Conv2D filter's kernel per input channel, or in colour when the filter reads three
/// channels (RGB). Each tile is scaled on its own, its smallest weight black and its largest white (one scale over the
/// three channels of a colour tile; a constant tile is mid grey). Tiles are laid row by row with a gap of
/// <see cref="Gap"/> tile pixels in <see cref="GapColor"/>, and every tile pixel is drawn as a
/// <see cref="Scale"/> × <see cref="Scale"/> square, so the picture is
/// <see cref="Width"/> = Scale·(Columns·(TileWidth + Gap) + Gap) wide and
/// <see cref="Height"/> = TitleHeight + Scale·(Rows·(TileHeight + Gap) + Gap) high.
/// Trained first-layer filters look like strokes, edges and blobs; noise after training means too high a learning rate
/// or too little regularisation.
/// </summary>
/// <example><code>
/// WeightGrid.FirstLayer(net).Save("pictures/first-layer");
/// </code></example>
public sealed class WeightGrid : Picture
{
    /// <summary>The colour of the gaps between tiles (light blue-grey, so it cannot be mistaken for a weight's grey).</summary>
    public static readonly SKColor GapColor = new(190, 205, 225);

    /// <summary>Gap between tiles, in tile pixels.</summary>
    public const int Gap = 1;

    /// <summary>Height of the title band (0 without a title).</summary>
    public int TitleHeight => Title.Length == 0 ? 0 : Panels.TitleHeight;

    // Tile t's pixel (c, y, x) is _tiles[((t * Channels + c) * TileHeight + y) * TileWidth + x], already in [0, 255].
    private readonly byte[] _tiles;

    private WeightGrid(string title, float[] values, int tiles, int channels, int tileHeight, int tileWidth, int columns, int scale)
    {
        Title = title;
        Tiles = tiles;
        Channels = channels;
        TileHeight = tileHeight;
        TileWidth = tileWidth;
        Columns = Math.Max(1, Math.Min(columns, tiles));
        Rows = (tiles + Columns - 1) / Columns;
        int gridWidth = (Columns * (TileWidth + Gap)) + Gap;
        Scale = scale > 0 ? scale : Math.Max(1, Math.Max((24 + Math.Max(tileHeight, tileWidth) - 1) / Math.Max(tileHeight, tileWidth), (400 + gridWidth - 1) / gridWidth));
        _tiles = Normalise(values, tiles, channels * tileHeight * tileWidth);
    }

    /// <summary>The title above the grid.</summary>
    public string Title { get; }

    /// <summary>Tiles drawn.</summary>
    public int Tiles { get; }

    /// <summary>1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }

    /// <summary>Height of a tile in tile pixels.</summary>
    public int TileHeight { get; }

    /// <summary>Width of a tile in tile pixels.</summary>
    public int TileWidth { get; }

    /// <summary>Tiles per row.</summary>
    public int Columns { get; }

    /// <summary>Rows of tiles.</summary>
    public int Rows { get; }

    /// <summary>Picture pixels per tile pixel.</summary>
    public int Scale { get; }

    /// <inheritdoc/>
    public override int Width => Scale * ((Columns * (TileWidth + Gap)) + Gap);

    /// <inheritdoc/>
    public override int Height => TitleHeight + (Scale * ((Rows * (TileHeight + Gap)) + Gap));

    /// <summary>
    /// The tiles of a Dense layer's weight, PyTorch layout [units, inputs]: unit u's row of inputs =
    /// channels·tileHeight·tileWidth weights, read as an image [channels, tileHeight, tileWidth].
    /// </summary>
    /// <param name="weight">The weight, units × inputs values.</param>
    /// <param name="units">Rows of the weight.</param>
    /// <param name="channels">1 (grey) or 3 (RGB tiles).</param>
    /// <param name="tileHeight">Image height.</param>
    /// <param name="tileWidth">Image width.</param>
    /// <param name="title">The title; empty for none.</param>
    /// <param name="maxTiles">At most this many units are drawn (the first ones).</param>
    /// <param name="scale">Picture pixels per weight; 0 chooses one (tiles of at least 24 pixels, a picture at least 400 wide).</param>
    public static WeightGrid Dense(ReadOnlySpan<float> weight, int units, int channels, int tileHeight, int tileWidth, string title = "", int maxTiles = 100, int scale = 0)
    {
        Check(units, channels, tileHeight, tileWidth, maxTiles, scale, title);
        int inputs = channels * tileHeight * tileWidth;
        if (weight.Length != (long)units * inputs)
        {
            throw new ArgumentException($"The weight has {weight.Length} values, not units × channels × tileHeight × tileWidth = {units} × {channels} × {tileHeight} × {tileWidth}.", nameof(weight));
        }

        int tiles = Math.Min(units, maxTiles);
        return new WeightGrid(title, weight[..(tiles * inputs)].ToArray(), tiles, channels, tileHeight, tileWidth, SquareColumns(tiles), scale);
    }

    /// <summary>
    /// The tiles of a Conv2D layer's weight, PyTorch layout [filters, inChannels, kernelHeight, kernelWidth]: one colour
    /// tile per filter when it reads 3 channels, one grey tile per filter when it reads 1, otherwise one grey tile per
    /// filter and input channel, a row of tiles per filter.
    /// </summary>
    /// <param name="weight">The weight, filters × inChannels × kernelHeight × kernelWidth values.</param>
    /// <param name="filters">Output channels.</param>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="kernelHeight">Kernel height.</param>
    /// <param name="kernelWidth">Kernel width.</param>
    /// <param name="title">The title; empty for none.</param>
    /// <param name="maxTiles">At most this many tiles are drawn (the first filters).</param>
    /// <param name="scale">Picture pixels per weight; 0 chooses one.</param>
    public static WeightGrid Conv2D(ReadOnlySpan<float> weight, int filters, int inChannels, int kernelHeight, int kernelWidth, string title = "", int maxTiles = 100, int scale = 0)
    {
        Check(filters, inChannels, kernelHeight, kernelWidth, maxTiles, scale, title);
        int perFilter = inChannels * kernelHeight * kernelWidth;
        if (weight.Length != (long)filters * perFilter)
        {
            throw new ArgumentException($"The weight has {weight.Length} values, not filters × inChannels × kernelHeight × kernelWidth = {filters} × {inChannels} × {kernelHeight} × {kernelWidth}.", nameof(weight));
        }

        if (inChannels is 1 or 3)
        {
            int tiles = Math.Min(filters, maxTiles);
            return new WeightGrid(title, weight[..(tiles * perFilter)].ToArray(), tiles, inChannels, kernelHeight, kernelWidth, SquareColumns(tiles), scale);
        }

        // One grey tile per (filter, input channel): the weight's own order, inChannels tiles to a row.
        int rows = Math.Max(1, Math.Min(filters, maxTiles / inChannels));
        return new WeightGrid(title, weight[..(rows * perFilter)].ToArray(), rows * inChannels, 1, kernelHeight, kernelWidth, inChannels, scale);
    }

    /// <summary>
    /// The weights of <paramref name="network"/>'s first layer with weights: the first tensor of its parameter table
    /// (state_dict order) of rank 4 (Conv2D), 3 (Conv1D, tiles 1 × kernel) or 2 (Dense). A Dense unit is drawn as the
    /// network's input image when the input is [C, H, W] with C = 1 or 3 and the layer reads it whole (after Flatten),
    /// as [H, C·W] (channels side by side) for other C, and else as the most square h × w with h·w = inputs.
    /// </summary>
    public static WeightGrid FirstLayer(INeuralNetwork network, int maxTiles = 100, int scale = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        foreach (ParameterInfo info in network.ParameterTable)
        {
            IReadOnlyList<int> s = info.Shape;
            ReadOnlySpan<float> weight = network.Parameters.Slice(info.Offset, info.Length);
            string dims = string.Join("×", s);
            switch (s.Count)
            {
                case 4:
                    return Conv2D(weight, s[0], s[1], s[2], s[3], $"{info.Key} [{dims}]", maxTiles, scale);
                case 3:
                    return Conv2D(weight, s[0], s[1], 1, s[2], $"{info.Key} [{dims}]", maxTiles, scale);
                case 2:
                    return DenseAsImages(network, info, weight, maxTiles, scale);
            }
        }

        throw new InvalidOperationException($"Network '{network.Name}' has no weight of rank 2, 3 or 4 to draw.");
    }

    /// <summary>Tile <paramref name="tile"/>'s pixel (y, x) as drawn: (grey, grey, grey) or (R, G, B), each in [0, 255].</summary>
    public (byte R, byte G, byte B) TilePixel(int tile, int y, int x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tile);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(tile, Tiles);
        int plane = TileHeight * TileWidth;
        int first = (tile * Channels * plane) + (y * TileWidth) + x;
        return Channels == 1 ? (_tiles[first], _tiles[first], _tiles[first]) : (_tiles[first], _tiles[first + plane], _tiles[first + (2 * plane)]);
    }

    /// <summary>The picture coordinates of tile <paramref name="tile"/>'s top-left pixel.</summary>
    public (int X, int Y) TileOrigin(int tile)
    {
        int row = tile / Columns, column = tile % Columns;
        return (Scale * (Gap + (column * (TileWidth + Gap))), TitleHeight + (Scale * (Gap + (row * (TileHeight + Gap)))));
    }

    /// <inheritdoc/>
    protected override void Draw(SKCanvas canvas)
    {
        Panels.DrawTitle(canvas, Title, Width);
        using var grid = new SKBitmap(new SKImageInfo(Width, Height - TitleHeight, SKColorType.Rgba8888, SKAlphaType.Opaque));
        grid.Erase(GapColor);
        for (int t = 0; t < Tiles; t++)
        {
            (int left, int top) = TileOrigin(t);
            top -= TitleHeight;
            for (int y = 0; y < TileHeight; y++)
            {
                for (int x = 0; x < TileWidth; x++)
                {
                    (byte r, byte g, byte b) = TilePixel(t, y, x);
                    var color = new SKColor(r, g, b);
                    for (int dy = 0; dy < Scale; dy++)
                    {
                        for (int dx = 0; dx < Scale; dx++)
                        {
                            grid.SetPixel(left + (x * Scale) + dx, top + (y * Scale) + dy, color);
                        }
                    }
                }
            }
        }

        canvas.DrawBitmap(grid, 0, TitleHeight);
    }

    private static WeightGrid DenseAsImages(INeuralNetwork network, ParameterInfo info, ReadOnlySpan<float> weight, int maxTiles, int scale)
    {
        int units = info.Shape[0], inputs = info.Shape[1];
        string title = string.Create(CultureInfo.InvariantCulture, $"{info.Key} [{units}×{inputs}]") + (units > maxTiles ? $", first {maxTiles} units" : "");
        IReadOnlyList<int> input = network.InputShape;
        if (input.Count == 3 && input[0] * input[1] * input[2] == inputs)
        {
            int c = input[0], h = input[1], w = input[2];
            if (c is 1 or 3)
            {
                return Dense(weight, units, c, h, w, title, maxTiles, scale);
            }

            // Channels side by side: weight (c, y, x) of a unit goes to tile pixel (y, c·W + x).
            int tiles = Math.Min(units, maxTiles);
            var sideBySide = new float[tiles * inputs];
            for (int u = 0; u < tiles; u++)
            {
                for (int k = 0; k < c; k++)
                {
                    for (int y = 0; y < h; y++)
                    {
                        weight.Slice((u * inputs) + (((k * h) + y) * w), w).CopyTo(sideBySide.AsSpan((u * inputs) + (y * c * w) + (k * w), w));
                    }
                }
            }

            return Dense(sideBySide, tiles, 1, h, c * w, title, maxTiles, scale);
        }

        int rows = (int)Math.Sqrt(inputs);
        while (inputs % rows != 0)
        {
            rows--;
        }

        return Dense(weight, units, 1, rows, inputs / rows, title, maxTiles, scale);
    }

    private static void Check(int count, int channels, int height, int width, int maxTiles, int scale, string title)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTiles, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
    }

    private static int SquareColumns(int tiles) => (int)Math.Ceiling(Math.Sqrt(tiles));

    // Each tile min-max scaled to [0, 255] on its own (over all its channels); a constant tile is 128.
    private static byte[] Normalise(float[] values, int tiles, int perTile)
    {
        var pixels = new byte[tiles * perTile];
        for (int t = 0; t < tiles; t++)
        {
            ReadOnlySpan<float> tile = values.AsSpan(t * perTile, perTile);
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            foreach (float v in tile)
            {
                min = float.IsFinite(v) ? Math.Min(min, v) : min;
                max = float.IsFinite(v) ? Math.Max(max, v) : max;
            }

            for (int i = 0; i < perTile; i++)
            {
                pixels[(t * perTile) + i] = !(max > min) || !float.IsFinite(tile[i])
                    ? (byte)128
                    : (byte)Math.Round(255.0 * (tile[i] - min) / (max - min));
            }
        }

        return pixels;
    }
}
