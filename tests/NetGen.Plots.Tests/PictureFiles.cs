using System.Buffers.Binary;
using System.Xml.Linq;
using NetGen.Data;
using SkiaSharp;

namespace NetGen.Plots.Tests;

/// <summary>What the tests read back from the files a picture wrote, and the data the pictures are fed with.</summary>
internal static class PictureFiles
{
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Checks the PNG signature and returns the size from the IHDR chunk (the first one, as the format requires).</summary>
    public static (int Width, int Height) PngSize(byte[] png)
    {
        Assert.True(png.Length > 33, "a PNG file has at least a signature and an IHDR chunk");
        Assert.Equal(PngSignature, png[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(png, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)));
    }

    /// <summary>Parses the SVG file as XML and returns the document and the trimmed content of every text element.</summary>
    public static (XDocument Document, List<string> Texts) ReadSvg(string path)
    {
        XDocument document = XDocument.Load(path);
        Assert.Equal("svg", document.Root!.Name.LocalName);
        var texts = document.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();
        return (document, texts);
    }

    /// <summary>The PNG decoded to pixels.</summary>
    public static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new InvalidOperationException("SkiaSharp could not decode the PNG.");

    /// <summary>Three Gaussian clusters in 16 dimensions (class c centred at 2 on features 5c…5c+4), rows in class order.</summary>
    public static InMemoryDataset Clusters(int rows, ulong seed, int features = 16)
    {
        var x = new float[rows * features];
        var y = new int[rows];
        ulong key = CounterRng.Key(seed, 91, 0, 0);
        for (int i = 0; i < rows; i++)
        {
            int c = i * 3 / rows;
            y[i] = c;
            for (int j = 0; j < features; j++)
            {
                x[(i * features) + j] = (float)((j / 5 == c ? 2.0 : 0.0) + (0.8 * CounterRng.Normal(key, (ulong)((i * features) + j))));
            }
        }

        return new InMemoryDataset(x, y, features);
    }

    /// <summary>Two linear targets of three normal inputs.</summary>
    public static RegressionDataset Linear(int rows, ulong seed)
    {
        var x = new float[rows * 3];
        var t = new float[rows * 2];
        ulong key = CounterRng.Key(seed, 92, 0, 0);
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < 3; j++)
            {
                x[(i * 3) + j] = (float)CounterRng.Normal(key, (ulong)((i * 3) + j));
            }

            t[i * 2] = (0.5f * x[i * 3]) - x[(i * 3) + 1];
            t[(i * 2) + 1] = 0.3f * x[(i * 3) + 2];
        }

        return new RegressionDataset(x, 3, t, 2);
    }
}

/// <summary>A temporary folder deleted after the test.</summary>
public abstract class TempFolderTest : IDisposable
{
    protected TempFolderTest()
    {
        Folder = Path.Combine(Path.GetTempPath(), "netgen-plots-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
    }

    protected string Folder { get; }

    public void Dispose()
    {
        Directory.Delete(Folder, recursive: true);
        GC.SuppressFinalize(this);
    }
}
