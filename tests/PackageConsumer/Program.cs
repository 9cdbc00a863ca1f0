// A user's program against the NetGen package: declares a network, trains it, checks the accuracy, saves and reloads
// it, and checks that a NaN in a batch is refused. Exits 1 on any failure; .ci/run runs it.
using NetGen;

const int Rows = 200;
var x = new float[Rows * 2];
var labels = new int[Rows];
for (int i = 0; i < Rows; i++)
{
    // Two interleaved half-moons: not linearly separable.
    int c = i % 2;
    double t = Math.PI * (i / 2) / (Rows / 2 - 1);
    x[2 * i] = (float)(c == 0 ? Math.Cos(t) : 1 - Math.Cos(t));
    x[2 * i + 1] = (float)(c == 0 ? Math.Sin(t) : 0.5 - Math.Sin(t));
    labels[i] = c;
}

var net = new Moons(seed: 7);
float first = net.TrainStep(x, labels);
float last = first;
for (int step = 1; step < 500; step++)
{
    last = net.TrainStep(x, labels);
}

var scores = new float[Rows * 2];
net.Predict(x, scores);
int correct = 0;
for (int i = 0; i < Rows; i++)
{
    correct += (scores[2 * i + 1] > scores[2 * i] ? 1 : 0) == labels[i] ? 1 : 0;
}

double accuracy = correct / (double)Rows;
Console.WriteLine($"loss {first:F4} -> {last:F4}, train accuracy: {accuracy:F2}");

var saved = new MemoryStream();
net.Save(saved);
saved.Position = 0;
var reloaded = new Moons(seed: 1);
reloaded.Load(saved);
var again = new float[Rows * 2];
reloaded.Predict(x, again);

bool nanRefused = false;
x[3] = float.NaN;
try
{
    net.TrainStep(x, labels);
}
catch (ArgumentOutOfRangeException e) when (e.ParamName == "inputs")
{
    nanRefused = true;
}

Console.WriteLine(Moons.ParameterTable.Count + " parameter tensors, " + Moons.ParameterCount + " parameters");
bool ok = accuracy >= 0.95 && scores.AsSpan().SequenceEqual(again) && nanRefused && net.Step == 500;
Console.WriteLine(ok ? "package consumer OK" : "package consumer FAILED");
return ok ? 0 : 1;

[Network(InputSize = 2, Loss = Loss.SoftmaxCrossEntropy, Optimizer = Optimizer.Adam, LearningRate = 0.02, BatchSize = 200)]
[Dense(32), Tanh, Dense(32), Tanh, Dense(2)]
public partial class Moons { }
