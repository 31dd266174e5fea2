using System.Buffers.Binary;

namespace Shequn.Features.Moderation;

/// <summary>
/// Turns a normalised message and its rule hits into hashed feature indices: character 1–3-grams of the
/// compact view, character-shape n-grams (so "ukx729" and "tad765" look alike), the kinds of patterns and
/// word-list categories that fired, and coarse counts of the disguises the normaliser removed.
/// </summary>
internal static class SpamFeatures
{
    public const int Bits = 18;
    public const int Size = 1 << Bits;

    /// <summary>Upper bound of features for a message of <paramref name="compactLength"/> characters.</summary>
    public static int Capacity(int compactLength) => (compactLength * 5) + 64 + MaxSymbolFeatures;

    private const int MaxSymbolFeatures = 32;

    public static int Extract(
        ReadOnlySpan<char> original,
        NormalisedText text,
        List<PatternHit> patterns,
        List<LexiconHit> lexiconHits,
        CompiledLexicon lexicon,
        Span<int> output)
    {
        var s = text.Compact;
        var n = 0;
        char p2 = '\u0002', p1 = '\u0002';
        char q4 = 's', q3 = 's', q2 = 's', q1 = 's';
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            output[n++] = Index(1, c, '\0', '\0');
            output[n++] = Index(2, p1, c, '\0');
            output[n++] = Index(3, p2, p1, c);
            var shape = Shape(c);
            output[n++] = Index(4, q2, q1, shape);
            output[n++] = Index(5, (char)((q4 << 8) | q3), (char)((q2 << 8) | q1), shape);
            p2 = p1;
            p1 = c;
            q4 = q3;
            q3 = q2;
            q2 = q1;
            q1 = shape;
        }
        output[n++] = Index(2, p1, '\u0003', '\0');
        output[n++] = Index(3, p2, p1, '\u0003');

        // The decorations removed between characters (☀, ░, emoji) say something about the sender even
        // though they carry no letters; the first few distinct ones become features.
        var symbols = 0;
        for (var i = 0; i < original.Length && symbols < MaxSymbolFeatures; i++)
        {
            var c = original[i];
            if (char.IsHighSurrogate(c) && i + 1 < original.Length && char.IsLowSurrogate(original[i + 1]))
            {
                if (!System.Text.Rune.IsLetterOrDigit(new System.Text.Rune(c, original[i + 1])))
                {
                    output[n++] = Index(6, c, original[i + 1], '\0');
                    symbols++;
                }
                i++;
            }
            else if (!TextNormaliser.IsKept(c) && !char.IsWhiteSpace(c))
            {
                output[n++] = Index(6, c, '\0', '\0');
                symbols++;
            }
        }

        // Which kinds of pattern fired (once each), and how strongly the text was disguised.
        var kinds = 0;
        foreach (var hit in patterns)
            kinds |= 1 << (int)hit.Kind;
        for (var k = 0; k < 32; k++)
        {
            if ((kinds & (1 << k)) != 0)
                output[n++] = Index(10, (char)k, '\0', '\0');
        }
        var categories = 0;
        foreach (var hit in lexiconHits)
            categories |= 1 << (int)lexicon.ListOf(hit.Entry).Category;
        for (var k = 0; k < 8; k++)
        {
            if ((categories & (1 << k)) != 0)
                output[n++] = Index(11, (char)k, '\0', '\0');
        }
        output[n++] = Index(12, (char)Bucket(s.Length), '\0', '\0');
        output[n++] = Index(13, (char)Bucket(text.DisguisedCount), '\0', '\0');
        output[n++] = Index(14, (char)Bucket(text.DroppedCount), '\0', '\0');
        output[n++] = Index(15, (char)Bucket(text.CollapsedCount), '\0', '\0');
        output[n++] = Index(16, (char)Bucket(text.DigitRewriteCount), '\0', '\0');
        output[n++] = Index(17, (char)Math.Min(10, text.DroppedCount * 10 / Math.Max(1, s.Length + text.DroppedCount)), '\0', '\0');
        return n;
    }

    private static int Bucket(int count) => count switch
    {
        0 => 0,
        1 => 1,
        <= 3 => 2,
        <= 6 => 3,
        <= 12 => 4,
        <= 25 => 5,
        <= 50 => 6,
        _ => 7,
    };

    private static char Shape(char c) =>
        char.IsAsciiDigit(c) ? 'd' : char.IsAsciiLetterLower(c) ? 'a' : c is >= '\u4E00' and <= '\u9FFF' ? 'h' : 'o';

    private static int Index(int family, char a, char b, char c)
    {
        var h = ((ulong)(uint)family << 48) | ((ulong)a << 32) | ((ulong)b << 16) | c;
        h ^= h >> 29;
        h *= 0x9E3779B97F4A7C15UL;
        h ^= h >> 32;
        h *= 0xD6E8FEB86659FD93UL;
        return (int)(h >> (64 - Bits));
    }
}

/// <summary>
/// Quality figures of a trained model, measured on held-out examples when there were enough (NaN otherwise):
/// accuracy at the review threshold, precision and recall at the act threshold.
/// </summary>
public sealed record ModelMetrics(int TrainingExamples, int SpamExamples, int HeldOut, double Accuracy, double Precision, double Recall, DateTimeOffset TrainedAt);

/// <summary>
/// Logistic regression over hashed features. Immutable after training: scoring only reads the weights, so
/// one instance serves all threads, and a retrained model replaces it whole.
/// </summary>
public sealed class SpamModel
{
    private const uint FormatMagic = 0x4D53_5153; // "SQSM"
    private readonly float[] _weights;

    internal SpamModel(float[] weights, float bias, ModelMetrics metrics)
    {
        if (weights.Length != SpamFeatures.Size)
            throw new ArgumentException("Weight vector has the wrong size.", nameof(weights));
        _weights = weights;
        Bias = bias;
        Metrics = metrics;
    }

    public float Bias { get; }

    public ModelMetrics Metrics { get; }

    /// <summary>The same weights with other metrics (weights are shared, never changed).</summary>
    internal SpamModel WithMetrics(ModelMetrics metrics) => new(_weights, Bias, metrics);

    internal double Probability(ReadOnlySpan<int> features)
    {
        var w = _weights;
        var sum = 0f;
        foreach (var f in features)
            sum += w[f];
        var z = Bias + (sum * Scale(features.Length));
        return 1.0 / (1.0 + Math.Exp(-z));
    }

    /// <summary>Features are binary and scaled by 1/√count so that long messages do not saturate the score.</summary>
    internal static float Scale(int count) => count == 0 ? 0f : 1f / MathF.Sqrt(count);

    /// <summary>Writes the weights for storage (a workspace's model is kept so that a restart need not retrain).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(header, FormatMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], SpamFeatures.Bits);
        BinaryPrimitives.WriteSingleLittleEndian(header[8..], Bias);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Metrics.TrainingExamples);
        stream.Write(header);
        var bytes = new byte[_weights.Length * 4];
        for (var i = 0; i < _weights.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), _weights[i]);
        stream.Write(bytes);
    }

    public static SpamModel ReadFrom(Stream stream, ModelMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[16];
        stream.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != FormatMagic || BinaryPrimitives.ReadInt32LittleEndian(header[4..]) != SpamFeatures.Bits)
            throw new InvalidDataException("Not a spam model of this version.");
        var bias = BinaryPrimitives.ReadSingleLittleEndian(header[8..]);
        var bytes = new byte[SpamFeatures.Size * 4];
        stream.ReadExactly(bytes);
        var weights = new float[SpamFeatures.Size];
        for (var i = 0; i < weights.Length; i++)
            weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return new SpamModel(weights, bias, metrics);
    }
}

/// <summary>Trains <see cref="SpamModel"/> with per-feature adaptive steps (AdaGrad) and light L2.</summary>
public static class SpamModelTrainer
{
    public sealed record Options(int Epochs = 12, float LearningRate = 0.2f, float L2 = 1e-6f, int Seed = 7);

    /// <summary>A message reduced to its features, ready for training.</summary>
    public readonly record struct Example(int[] Features, bool IsSpam);

    public static SpamModel Train(IReadOnlyList<Example> examples, Options? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new Options();
        if (examples.Count == 0)
            throw new ArgumentException("No training examples.", nameof(examples));
        var weights = new float[SpamFeatures.Size];
        var squares = new float[SpamFeatures.Size];
        float bias = 0, biasSquares = 0;
        var order = Enumerable.Range(0, examples.Count).ToArray();
        var random = new Random(options.Seed);
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            random.Shuffle(order);
            foreach (var index in order)
            {
                var (features, isSpam) = examples[index];
                var scale = SpamModel.Scale(features.Length);
                var sum = 0f;
                foreach (var f in features)
                    sum += weights[f];
                var z = bias + (sum * scale);
                var p = 1f / (1f + MathF.Exp(-z));
                var g = p - (isSpam ? 1f : 0f);
                foreach (var f in features)
                {
                    var grad = (g * scale) + (options.L2 * weights[f]);
                    squares[f] += grad * grad;
                    weights[f] -= options.LearningRate * grad / (MathF.Sqrt(squares[f]) + 1e-6f);
                }
                biasSquares += g * g;
                bias -= options.LearningRate * g / (MathF.Sqrt(biasSquares) + 1e-6f);
            }
        }
        var spam = examples.Count(e => e.IsSpam);
        var metrics = new ModelMetrics(examples.Count, spam, 0, double.NaN, double.NaN, double.NaN, DateTimeOffset.UtcNow);
        return new SpamModel(weights, bias, metrics);
    }
}
