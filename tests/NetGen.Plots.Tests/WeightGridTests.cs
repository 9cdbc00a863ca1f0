using SkiaSharp;

namespace NetGen.Plots.Tests;

/// <summary>
/// WeightGrid: the tile layout (origins, gaps, picture size) and the pixels read back from the PNG: brightness ordered
/// as the weights within a tile (each tile scaled on its own), colour for three input channels, a row per filter otherwise,
/// and the first layer of a network found and drawn in its input's shape.
/// </summary>
public sealed class WeightGridTests : TempFolderTest
{
    [Fact]
    public void Dense_TileBrightnessFollowsTheWeights_EachTileScaledOnItsOwn()
    {
        // Unit 0 rises from -0.3 (black) to 1.2 (white) in row-major order; unit 1 falls from 0 to -15 (a different range).
        var weight = new float[2 * 16];
        for (int i = 0; i < 16; i++)
        {
            weight[i] = (0.1f * i) - 0.3f;
            weight[16 + i] = -i;
        }

        var grid = WeightGrid.Dense(weight, units: 2, channels: 1, tileHeight: 4, tileWidth: 4, title: "two units", scale: 3);
        grid.SavePng(Path.Combine(Folder, "dense.png"));
        byte[] png = File.ReadAllBytes(Path.Combine(Folder, "dense.png"));

        // 2 tiles: 2 columns, 1 row; width 3·(2·(4 + 1) + 1), height 30 + 3·(1·(4 + 1) + 1).
        Assert.Equal((2, 1), (grid.Columns, grid.Rows));
        Assert.Equal((33, 48), (grid.Width, grid.Height));
        Assert.Equal((33, 48), PictureFiles.PngSize(png));
        Assert.Equal((3, 33), grid.TileOrigin(0));
        Assert.Equal((18, 33), grid.TileOrigin(1));
        using SKBitmap bitmap = PictureFiles.Decode(png);
        for (int tile = 0; tile < 2; tile++)
        {
            (int left, int top) = grid.TileOrigin(tile);
            var brightness = new List<int>();
            for (int i = 0; i < 16; i++)
            {
                int y = i / 4, x = i % 4;
                SKColor pixel = bitmap.GetPixel(left + (3 * x) + 1, top + (3 * y) + 1);
                Assert.Equal(pixel.Red, pixel.Green);
                Assert.Equal(pixel.Red, pixel.Blue);
                // The whole 3×3 square of the weight has its colour.
                Assert.Equal(pixel, bitmap.GetPixel(left + (3 * x), top + (3 * y)));
                Assert.Equal(pixel, bitmap.GetPixel(left + (3 * x) + 2, top + (3 * y) + 2));
                brightness.Add(pixel.Red);
            }

            IEnumerable<int> expected = tile == 0 ? brightness.Order() : brightness.OrderDescending();
            Assert.Equal(expected, brightness);
            Assert.Equal(tile == 0 ? (0, 255) : (255, 0), (brightness[0], brightness[15]));
            Assert.Equal(17, Math.Abs(brightness[1] - brightness[0]));   // 255/15 per step: linear in the weight
        }

        // Gaps: around and between the tiles.
        Assert.Equal(WeightGrid.GapColor, bitmap.GetPixel(0, 30));
        Assert.Equal(WeightGrid.GapColor, bitmap.GetPixel(16, 40));
        Assert.Equal(WeightGrid.GapColor, bitmap.GetPixel(32, 47));
    }

    [Fact]
    public void Conv2D_ThreeInputChannels_DrawInColour()
    {
        // Filter 0: only red at (0, 0) and blue at (1, 1); filter 1: constant (mid grey).
        var weight = new float[2 * 3 * 2 * 2];
        weight[0] = 1f;                        // [0, red, 0, 0]
        weight[(2 * 4) + 3] = 1f;              // [0, blue, 1, 1]
        weight.AsSpan(12).Fill(0.5f);

        var grid = WeightGrid.Conv2D(weight, filters: 2, inChannels: 3, kernelHeight: 2, kernelWidth: 2, scale: 2);
        using SKBitmap bitmap = PictureFiles.Decode(grid.ToPng());

        Assert.Equal((2, 3), (grid.Tiles, grid.Channels));
        Assert.Equal(0, grid.TitleHeight);
        (int left, int top) = grid.TileOrigin(0);
        Assert.Equal(new SKColor(255, 0, 0), bitmap.GetPixel(left, top));
        Assert.Equal(new SKColor(0, 0, 255), bitmap.GetPixel(left + 2, top + 2));
        Assert.Equal(new SKColor(0, 0, 0), bitmap.GetPixel(left + 2, top));
        (left, top) = grid.TileOrigin(1);
        Assert.Equal(new SKColor(128, 128, 128), bitmap.GetPixel(left + 1, top + 1));
    }

    [Fact]
    public void Conv2D_OtherChannelCounts_GiveARowPerFilterAndATilePerChannel()
    {
        // 3 filters × 2 channels of 1×2: tile (f, c) rises when f + c is even, falls when odd.
        var weight = new float[3 * 2 * 2];
        for (int f = 0; f < 3; f++)
        {
            for (int c = 0; c < 2; c++)
            {
                weight[(((f * 2) + c) * 2) + ((f + c) % 2)] = 1f;
            }
        }

        var grid = WeightGrid.Conv2D(weight, filters: 3, inChannels: 2, kernelHeight: 1, kernelWidth: 2, maxTiles: 4, scale: 1);

        // maxTiles 4 keeps the first 2 filters, 2 tiles each.
        Assert.Equal((4, 2, 2, 1), (grid.Tiles, grid.Rows, grid.Columns, grid.Channels));
        for (int tile = 0; tile < 4; tile++)
        {
            int f = tile / 2, c = tile % 2;
            Assert.Equal((f + c) % 2 == 0 ? (byte)255 : (byte)0, grid.TilePixel(tile, 0, 0).R);
            Assert.Equal((f + c) % 2 == 0 ? (byte)0 : (byte)255, grid.TilePixel(tile, 0, 1).R);
        }
    }

    [Fact]
    public void FirstLayer_OfAnMlp_DrawsEachUnitAsTheInputImage()
    {
        var net = new PictureMlp(6);

        WeightGrid grid = WeightGrid.FirstLayer(net);
        grid.Save(Path.Combine(Folder, "first-layer"));

        Assert.Equal((8, 1, 4, 4), (grid.Tiles, grid.Channels, grid.TileHeight, grid.TileWidth));
        Assert.Equal("1.weight [8×16]", grid.Title);
        ParameterInfo fc1 = PictureMlp.ParameterTable[0];
        ReadOnlySpan<float> w = net.Parameters.Slice(fc1.Offset, fc1.Length);
        for (int unit = 0; unit < 8; unit++)
        {
            ReadOnlySpan<float> row = w.Slice(unit * 16, 16);
            int lowest = row.IndexOf(TensorPrimitivesMin(row)), highest = row.IndexOf(TensorPrimitivesMax(row));
            Assert.Equal((byte)0, grid.TilePixel(unit, lowest / 4, lowest % 4).R);
            Assert.Equal((byte)255, grid.TilePixel(unit, highest / 4, highest % 4).R);
        }

        Assert.Equal((grid.Width, grid.Height), PictureFiles.PngSize(File.ReadAllBytes(Path.Combine(Folder, "first-layer.png"))));
        (System.Xml.Linq.XDocument svg, List<string> texts) = PictureFiles.ReadSvg(Path.Combine(Folder, "first-layer.svg"));
        Assert.Contains("1.weight [8×16]", texts);
        Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "image");
    }

    [Fact]
    public void FirstLayer_OfACnnWithThreeInputChannels_DrawsColourFilters()
    {
        var net = new PictureCnn(7);

        WeightGrid grid = WeightGrid.FirstLayer(net, maxTiles: 4);

        Assert.Equal((4, 3, 3, 3), (grid.Tiles, grid.Channels, grid.TileHeight, grid.TileWidth));
        Assert.Equal((2, 2), (grid.Columns, grid.Rows));
        Assert.StartsWith("0.weight [5×3×3×3]", grid.Title, StringComparison.Ordinal);
        Assert.Equal((grid.Width, grid.Height), PictureFiles.PngSize(grid.ToPng()));
    }

    [Fact]
    public void WrongSizes_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => WeightGrid.Dense(new float[15], 1, 1, 4, 4));
        Assert.Throws<ArgumentException>(() => WeightGrid.Conv2D(new float[10], 1, 1, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightGrid.Dense(new float[16], 1, 1, 4, 4, maxTiles: 0));
    }

    private static float TensorPrimitivesMin(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Min(x);

    private static float TensorPrimitivesMax(ReadOnlySpan<float> x) => System.Numerics.Tensors.TensorPrimitives.Max(x);
}
