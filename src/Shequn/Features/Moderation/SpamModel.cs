using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Shequn.Features.Moderation;

/// <summary>
/// Turns a normalised message and its rule hits into hashed feature indices: character 1–3-grams of the
/// compact view, character-shape n-grams (so "ukx729" and "tad765" look alike), the kinds of patterns and
/// word-list categories that fired, coarse counts of the disguises the normaliser removed, and the skeleton
/// of the original text (its runs of character classes).
/// </summary>
internal static class SpamFeatures
{
    public const int Bits = 18;
    public const int Size = 1 << Bits;

    /// <summary>Upper bound of features for a message of <paramref name="compactLength"/> characters.</summary>
    public static int Capacity(int compactLength) => (compactLength * 9) + 64 + MaxSymbolFeatures + MaxListFeatures + MaxSkeletonRuns + 4;

    /// <summary>Run trigrams kept per message: the skeleton of a long text says no more after its first runs.</summary>
    private const int MaxSkeletonRuns = 32;

    /// <summary>Runs that make up the whole-message skeleton features.</summary>
    private const int WholeSkeletonRuns = 24;

    private const int MaxListFeatures = 16;

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
        n += TokenGrams(s, output[n..]);
        // Skip-bigrams: a character inserted between two others ("加-x-薇") does not hide the pair.
        for (var i = 2; i < s.Length; i++)
            output[n++] = Index(9, s[i - 2], s[i], '\0');

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
        // Which lists hit (not only their categories): a list of everyday words and a list of ad phrases in
        // the same category mean different things, and the model learns by how much.
        var lists = 0;
        var last = -1;
        foreach (var hit in lexiconHits)
        {
            var id = StableHash(lexicon.ListOf(hit.Entry).Name);
            if (id == last || lists >= MaxListFeatures)
                continue;
            output[n++] = Index(18, (char)(id >> 16), (char)id, '\0');
            last = id;
            lists++;
        }
        output[n++] = Index(12, (char)Bucket(s.Length), '\0', '\0');
        output[n++] = Index(13, (char)Bucket(text.DisguisedCount), '\0', '\0');
        output[n++] = Index(14, (char)Bucket(text.DroppedCount), '\0', '\0');
        output[n++] = Index(15, (char)Bucket(text.CollapsedCount), '\0', '\0');
        output[n++] = Index(16, (char)Bucket(text.DigitRewriteCount), '\0', '\0');
        output[n++] = Index(17, (char)Math.Min(10, text.DroppedCount * 10 / Math.Max(1, s.Length + text.DroppedCount)), '\0', '\0');
        n += Skeleton(original, output[n..]);
        return n;
    }

    /// <summary>
    /// The original text as runs of character classes (digits, Latin letters, Chinese characters, other letters,
    /// spaces, punctuation, symbols), each run with its length bucketed: trigrams of runs, the whole sequence
    /// once with the lengths and once without, and how it starts (its first three runs) and ends (its last
    /// three). "加v 12345678" and "看我 qq 87654321" share a skeleton whatever the words, and a template that
    /// spreads an ad over separators keeps its shape when the separators change.
    /// </summary>
    private static int Skeleton(ReadOnlySpan<char> original, Span<int> output)
    {
        var n = 0;
        ulong whole = 14695981039346656037UL, bare = 14695981039346656037UL;
        // A text of fewer than three runs keeps start 0: "short" is itself a way to start.
        ulong start3 = 0;
        char r3 = '\u0002', r2 = '\u0002', r1 = '\u0002';
        var runs = 0;
        var i = 0;
        while (i < original.Length)
        {
            var kind = SkeletonClass(original, i, out var width);
            var start = i;
            i += width;
            while (i < original.Length && SkeletonClass(original, i, out width) == kind)
                i += width;
            var run = (char)((kind << 4) | Bucket(i - start));
            if (runs < WholeSkeletonRuns)
            {
                whole = (whole ^ run) * 1099511628211UL;
                bare = (bare ^ kind) * 1099511628211UL;
            }
            if (runs < MaxSkeletonRuns)
                output[n++] = Index(19, r2, r1, run);
            if (runs == 2)
                start3 = whole;
            r3 = r2;
            r2 = r1;
            r1 = run;
            runs++;
        }
        output[n++] = Index(20, (char)(whole >> 48), (char)(whole >> 32), (char)whole);
        output[n++] = Index(21, (char)(bare >> 48), (char)(bare >> 32), (char)bare);
        output[n++] = Index(25, (char)(start3 >> 32), (char)(start3 >> 16), (char)start3);
        output[n++] = Index(26, r3, r2, r1);
        return n;
    }

    private static char SkeletonClass(ReadOnlySpan<char> text, int i, out int width)
    {
        width = 1;
        var c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return System.Text.Rune.IsLetterOrDigit(new System.Text.Rune(c, text[i + 1])) ? 'l' : 'e';
        }
        return char.IsDigit(c) ? 'd'
            : char.IsAsciiLetter(c) || (c is >= '\uFF21' and <= '\uFF5A') ? 'a'
            : c is >= '\u4E00' and <= '\u9FFF' ? 'h'
            : char.IsLetter(c) ? 'l'
            : char.IsWhiteSpace(c) ? 's'
            : char.IsPunctuation(c) ? 'p'
            : 'o';
    }

    /// <summary>
    /// Bigrams and trigrams over a token view of the compact text: Chinese characters stay themselves, a run
    /// of digits becomes one "number of about this length" token, a run of Latin letters stays itself when
    /// short (vx, qq, tg) and becomes "a word of this length" otherwise, a run mixing both becomes "an ID".
    /// So "加薇abc12345" and "加薇xyz98765" share every feature: the template generalises, the ID does not count.
    /// </summary>
    private static int TokenGrams(ReadOnlySpan<char> s, Span<int> output)
    {
        var n = 0;
        char t2 = '\u0002', t1 = '\u0002';
        var i = 0;
        while (i < s.Length)
        {
            char token;
            var c = s[i];
            if (char.IsAsciiLetterOrDigit(c))
            {
                var start = i;
                int digits = 0, letters = 0;
                var hash = 17u;
                while (i < s.Length && char.IsAsciiLetterOrDigit(s[i]))
                {
                    if (char.IsAsciiDigit(s[i]))
                        digits++;
                    else
                        letters++;
                    hash = (hash * 31) + s[i];
                    i++;
                }
                var length = i - start;
                token = letters == 0 ? (char)(0xE000 + Bucket(length))
                    : digits == 0 ? (length <= 3 ? (char)(0xF000 | (hash & 0xFFF)) : (char)(0xE100 + Bucket(length)))
                    : (char)(0xE200 + Bucket(length));
            }
            else
            {
                token = c;
                i++;
            }
            output[n++] = Index(7, t1, token, '\0');
            output[n++] = Index(8, t2, t1, token);
            t2 = t1;
            t1 = token;
        }
        output[n++] = Index(7, t1, '\u0003', '\0');
        return n;
    }

    /// <summary>FNV-1a of a list name: the same in every process (string.GetHashCode is not), so saved weights keep their meaning.</summary>
    private static int StableHash(string text)
    {
        var h = 2166136261u;
        foreach (var c in text)
            h = (h ^ c) * 16777619u;
        return (int)h;
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
/// How a model's raw score and the generic rule evidence become one score: σ(a·z + b·r + c), with z the
/// model's logit and r = −ln Π(1 − wᵢ) over the generic rule hits (built-in patterns, light word lists). Fitted
/// on held-out predictions, so the model and the rules are not counted twice: with enough examples so that the
/// review and act thresholds fall on the goals' operating points (<see cref="FitOperatingPoints"/>), otherwise
/// as a probability (Platt scaling with the rules as a second input, <see cref="Fit"/>).
/// </summary>
/// <param name="NormalWeight">How much more a normal message weighed than an ad in the fit (see <see cref="SpamModelTrainer.Options.NormalWeight"/>; 1 for operating points).</param>
public readonly record struct Calibration(float ModelSlope, float RuleSlope, float Intercept, float NormalWeight)
{
    public double Probability(double logit, double ruleEvidence) =>
        1.0 / (1.0 + Math.Exp(-((ModelSlope * logit) + (RuleSlope * ruleEvidence) + Intercept)));

    /// <summary>
    /// Places the review and act thresholds on operating points read off held-out predictions, instead of where a
    /// fitted sigmoid happens to put them: the score is σ(k·(s − s_review)) on the combined evidence
    /// s = a·z + b·r (a and b from an unweighted <see cref="Fit"/>), with s_review the lowest score that sends at
    /// most <paramref name="maxNormalToReview"/> of normal messages to review and s_act the lowest score at which
    /// what acts is right at least <paramref name="minPrecisionAtAct"/> of the time; k puts s_act at
    /// <paramref name="act"/>. Both are read with a one-sided 95 % Wilson margin, so that a fresh sample of the
    /// same kind still holds them. Null when the held-out set is too small to show either point (a few hundred
    /// examples cannot show 99 % precision), or when the act point does not lie above the review point; the caller
    /// then keeps the fitted sigmoid.
    /// </summary>
    /// <remarks>
    /// A single sigmoid ties the two thresholds together: moving its weight to send fewer normal messages to
    /// review also lowers what reaches the act threshold. The goals are two separate constraints, so each gets its
    /// own point; the mapping stays monotone, so the ranking of messages is the model's.
    /// </remarks>
    internal static Calibration? FitOperatingPoints(
        IReadOnlyList<(double Logit, double Rules, bool IsSpam)> heldOut,
        double maxNormalToReview,
        double minPrecisionAtAct,
        double review = 0.5,
        double act = 0.9)
    {
        var direction = Fit(heldOut, 1f);
        var scored = heldOut
            .Select(h => (Score: (direction.ModelSlope * h.Logit) + (direction.RuleSlope * h.Rules), h.IsSpam))
            .OrderByDescending(x => x.Score)
            .ToArray();
        var normals = scored.Count(x => !x.IsSpam);
        if (normals == 0 || normals == scored.Length)
            return null;
        double? reviewPoint = null, actPoint = null;
        int flaggedNormal = 0, flaggedSpam = 0;
        for (var i = 0; i < scored.Length; i++)
        {
            if (scored[i].IsSpam)
                flaggedSpam++;
            else
                flaggedNormal++;
            // Only a point between two different scores can be a threshold.
            if (i + 1 < scored.Length && scored[i + 1].Score == scored[i].Score)
                continue;
            if (WilsonUpper(flaggedNormal, normals) <= maxNormalToReview)
                reviewPoint = scored[i].Score;
            if (WilsonLower(flaggedSpam, flaggedSpam + flaggedNormal) >= minPrecisionAtAct)
                actPoint = scored[i].Score;
        }
        if (reviewPoint is not { } r || actPoint is not { } a || a <= r)
            return null;
        // σ(k·(s − r)) is `review` at s = r and `act` at s = a.
        var logitReview = Math.Log(review / (1 - review));
        var k = (Math.Log(act / (1 - act)) - logitReview) / (a - r);
        return new Calibration((float)(k * direction.ModelSlope), (float)(k * direction.RuleSlope), (float)(logitReview - (k * r)), 1f);
    }

    /// <summary>z of a one-sided 95 % bound.</summary>
    private const double WilsonZ = 1.645;

    /// <summary>Lower Wilson bound of a proportion (successes of n).</summary>
    internal static double WilsonLower(int successes, int n) => n == 0 ? 0 : Wilson(successes, n, -1);

    /// <summary>Upper Wilson bound of a proportion (successes of n).</summary>
    internal static double WilsonUpper(int successes, int n) => n == 0 ? 1 : Wilson(successes, n, +1);

    private static double Wilson(int successes, int n, int sign)
    {
        const double z2 = WilsonZ * WilsonZ;
        var p = (double)successes / n;
        var centre = p + (z2 / (2.0 * n));
        var spread = WilsonZ * Math.Sqrt((p * (1 - p) / n) + (z2 / (4.0 * n * n)));
        return (centre + (sign * spread)) / (1 + (z2 / n));
    }

    /// <summary>
    /// Weighted logistic regression on (logit, rule evidence) → label by Newton's method, with a little ridge so
    /// that a set where the rules never fire (b undetermined) still converges.
    /// </summary>
    internal static Calibration Fit(IReadOnlyList<(double Logit, double Rules, bool IsSpam)> heldOut, float normalWeight)
    {
        double a = 1, b = 1, c = 0;
        for (var iteration = 0; iteration < 50; iteration++)
        {
            // Gradient g and Hessian h of the weighted log-loss plus ridge 1e-3·(a−1)², 1e-3·(b−1)² (pulls toward "trust both").
            double ga = 2e-3 * (a - 1), gb = 2e-3 * (b - 1), gc = 0;
            double haa = 2e-3, hab = 0, hac = 0, hbb = 2e-3, hbc = 0, hcc = 1e-6;
            foreach (var (z, r, isSpam) in heldOut)
            {
                var p = 1.0 / (1.0 + Math.Exp(-((a * z) + (b * r) + c)));
                var weight = isSpam ? 1.0 : normalWeight;
                var e = weight * (p - (isSpam ? 1 : 0));
                var v = weight * p * (1 - p);
                ga += e * z;
                gb += e * r;
                gc += e;
                haa += v * z * z;
                hab += v * z * r;
                hac += v * z;
                hbb += v * r * r;
                hbc += v * r;
                hcc += v;
            }
            // Solve the 3×3 system h·d = g (Cramer's rule; h is symmetric positive definite).
            var det = (haa * ((hbb * hcc) - (hbc * hbc))) - (hab * ((hab * hcc) - (hbc * hac))) + (hac * ((hab * hbc) - (hbb * hac)));
            if (Math.Abs(det) < 1e-12)
                break;
            var da = ((ga * ((hbb * hcc) - (hbc * hbc))) - (hab * ((gb * hcc) - (hbc * gc))) + (hac * ((gb * hbc) - (hbb * gc)))) / det;
            var db = ((haa * ((gb * hcc) - (hbc * gc))) - (ga * ((hab * hcc) - (hbc * hac))) + (hac * ((hab * gc) - (gb * hac)))) / det;
            var dc = ((haa * ((hbb * gc) - (gb * hbc))) - (hab * ((hab * gc) - (gb * hac))) + (ga * ((hab * hbc) - (hbb * hac)))) / det;
            a -= da;
            b -= db;
            c -= dc;
            if (Math.Abs(da) + Math.Abs(db) + Math.Abs(dc) < 1e-6)
                break;
        }
        return new Calibration((float)a, (float)Math.Max(0, b), (float)c, normalWeight);
    }
}

/// <summary>
/// Logistic regression over hashed features, calibrated together with the rule evidence when it was trained on
/// enough examples. Immutable after training: scoring only reads the weights, so one instance serves all
/// threads, and a retrained model replaces it whole.
/// </summary>
public sealed class SpamModel
{
    private const uint FormatMagic = 0x4D53_5153; // "SQSM"

    /// <summary>
    /// Version of the stored form. 2: token n-gram, skip-gram and per-list features, and the calibration.
    /// 3: the skeleton features. A model stored by an earlier version has weights for other features (and its
    /// scaling by the feature count would change); it is refused, not misread, and the workspace retrains.
    /// </summary>
    public const int FormatVersion = 3;

    private readonly float[] _weights;

    internal SpamModel(float[] weights, float bias, ModelMetrics metrics, Calibration? calibration = null)
    {
        if (weights.Length != SpamFeatures.Size)
            throw new ArgumentException("Weight vector has the wrong size.", nameof(weights));
        _weights = weights;
        Bias = bias;
        Metrics = metrics;
        Calibration = calibration;
    }

    public float Bias { get; }

    public ModelMetrics Metrics { get; }

    /// <summary>Null when the model was trained on too few examples to calibrate: it then combines with the rules as independent evidence.</summary>
    public Calibration? Calibration { get; }

    /// <summary>The same weights with other metrics (weights are shared, never changed).</summary>
    internal SpamModel WithMetrics(ModelMetrics metrics) => new(_weights, Bias, metrics, Calibration);

    internal SpamModel WithCalibration(Calibration calibration) => new(_weights, Bias, Metrics, calibration);

    internal double Probability(ReadOnlySpan<int> features) => 1.0 / (1.0 + Math.Exp(-Logit(features)));

    internal double Logit(ReadOnlySpan<int> features)
    {
        var w = _weights;
        var sum = 0f;
        foreach (var f in features)
            sum += w[f];
        return Bias + (sum * Scale(features.Length));
    }

    /// <summary>Features are binary and scaled by 1/√count so that long messages do not saturate the score.</summary>
    internal static float Scale(int count) => count == 0 ? 0f : 1f / MathF.Sqrt(count);

    /// <summary>Writes the weights for storage (a workspace's model is kept so that a restart need not retrain).</summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[40];
        BinaryPrimitives.WriteUInt32LittleEndian(header, FormatMagic);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], -FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], SpamFeatures.Bits);
        BinaryPrimitives.WriteSingleLittleEndian(header[12..], Bias);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], Metrics.TrainingExamples);
        var c = Calibration;
        BinaryPrimitives.WriteInt32LittleEndian(header[20..], c is null ? 0 : 1);
        BinaryPrimitives.WriteSingleLittleEndian(header[24..], c?.ModelSlope ?? 0);
        BinaryPrimitives.WriteSingleLittleEndian(header[28..], c?.RuleSlope ?? 0);
        BinaryPrimitives.WriteSingleLittleEndian(header[32..], c?.Intercept ?? 0);
        BinaryPrimitives.WriteSingleLittleEndian(header[36..], c?.NormalWeight ?? 0);
        stream.Write(header);
        var bytes = new byte[_weights.Length * 4];
        for (var i = 0; i < _weights.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), _weights[i]);
        stream.Write(bytes);
    }

    /// <summary>
    /// Reads a stored model. One of another version (the first format stored the feature bits where the version
    /// now is, as a positive number) throws <see cref="ObsoleteSpamModelException"/>: its weights belong to
    /// other features, and the workspace's labels must train a new one.
    /// </summary>
    public static SpamModel ReadFrom(Stream stream, ModelMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> header = stackalloc byte[40];
        stream.ReadExactly(header[..8]);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != FormatMagic)
            throw new InvalidDataException("Not a spam model.");
        var version = -BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version != FormatVersion)
            throw new ObsoleteSpamModelException(version <= 0 ? 1 : version);
        stream.ReadExactly(header[8..]);
        if (BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != SpamFeatures.Bits)
            throw new InvalidDataException("Spam model with another feature size.");
        var bias = BinaryPrimitives.ReadSingleLittleEndian(header[12..]);
        var calibration = BinaryPrimitives.ReadInt32LittleEndian(header[20..]) == 0
            ? (Calibration?)null
            : new Calibration(
                BinaryPrimitives.ReadSingleLittleEndian(header[24..]),
                BinaryPrimitives.ReadSingleLittleEndian(header[28..]),
                BinaryPrimitives.ReadSingleLittleEndian(header[32..]),
                BinaryPrimitives.ReadSingleLittleEndian(header[36..]));
        var bytes = new byte[SpamFeatures.Size * 4];
        stream.ReadExactly(bytes);
        var weights = new float[SpamFeatures.Size];
        for (var i = 0; i < weights.Length; i++)
            weights[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
        return new SpamModel(weights, bias, metrics, calibration);
    }
}

/// <summary>A stored model of an earlier format: refused, so that the workspace retrains instead of scoring with weights that mean something else.</summary>
public sealed class ObsoleteSpamModelException(int version)
    : Exception($"Spam model of format version {version}; this version reads {SpamModel.FormatVersion} and retrains from the labels.")
{
    public int Version { get; } = version;
}

/// <summary>
/// Trains <see cref="SpamModel"/> with per-feature adaptive steps (AdaGrad) and light L2, then (with enough
/// examples) calibrates it on held-out predictions: the examples are split into folds that keep
/// near-duplicates together (<see cref="NearDuplicates"/>), a model trained on the other folds scores each fold,
/// and <see cref="Calibration.FitOperatingPoints"/> (or, on too few examples, <see cref="Calibration.Fit"/>) maps
/// those honest scores and the rule evidence to the score the thresholds read.
/// </summary>
public static class SpamModelTrainer
{
    /// <param name="NormalWeight">
    /// Weight of a normal message against an ad in the calibration. Labelled sets hold far more ads than a
    /// group's chat does (about half against a few percent), and a normal message sent to review costs a
    /// person's time and a member's trust; so the calibration leans toward "normal".
    /// </param>
    /// <param name="MaxNormalToReview">
    /// At most this share of normal messages may reach the review threshold, and <paramref name="MinPrecisionAtAct"/>
    /// of what reaches the act threshold must be spam: the goals the calibration holds the thresholds to (issue 10),
    /// read on held-out folds of the training examples (<see cref="Calibration.FitOperatingPoints"/>). Zero for
    /// either keeps the fitted sigmoid.
    /// </param>
    public sealed record Options(
        int Epochs = 12,
        float LearningRate = 0.2f,
        float L2 = 1e-6f,
        int Seed = 7,
        float NormalWeight = 1.5f,
        int CalibrationFolds = 3,
        double MaxNormalToReview = 0.02,
        double MinPrecisionAtAct = 0.99);

    /// <summary>Fewer examples (or fewer of either kind) than this and the model is left uncalibrated.</summary>
    public const int MinimumForCalibration = 200;

    /// <summary>
    /// A message reduced to its features, ready for training. <paramref name="RuleEvidence"/> is what the
    /// generic rules said about it (−ln Π(1 − wᵢ), see <see cref="ModerationEngine.ExtractExample"/>);
    /// <paramref name="Text"/> lets the calibration keep near-duplicates in one fold.
    /// </summary>
    public readonly record struct Example(int[] Features, bool IsSpam, double RuleEvidence = 0, string? Text = null);

    public static SpamModel Train(IReadOnlyList<Example> examples, Options? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(examples);
        options ??= new Options();
        if (examples.Count == 0)
            throw new ArgumentException("No training examples.", nameof(examples));
        var model = TrainWeights(examples, options, cancellationToken);
        var spam = examples.Count(e => e.IsSpam);
        if (Math.Min(spam, examples.Count - spam) * 4 < MinimumForCalibration || examples.Count < MinimumForCalibration || options.NormalWeight <= 0)
            return model;
        var heldOut = HeldOutScores(examples, options, cancellationToken);
        var atGoals = options.MaxNormalToReview > 0 && options.MinPrecisionAtAct > 0
            ? Calibration.FitOperatingPoints(heldOut, options.MaxNormalToReview, options.MinPrecisionAtAct)
            : null;
        return model.WithCalibration(atGoals ?? Calibration.Fit(heldOut, options.NormalWeight));
    }

    private static List<(double Logit, double Rules, bool IsSpam)> HeldOutScores(IReadOnlyList<Example> examples, Options options, CancellationToken cancellationToken)
    {
        var folds = options.CalibrationFolds;
        var foldOf = examples.All(e => e.Text is not null)
            ? ModerationEvaluation.GroupedFolds(NearDuplicates.Group([.. examples.Select(e => e.Text!)]), folds, options.Seed)
            : ModerationEvaluation.RandomFolds(examples.Count, folds, options.Seed);
        var heldOut = new List<(double, double, bool)>(examples.Count);
        for (var fold = 0; fold < folds; fold++)
        {
            var train = new List<Example>();
            for (var i = 0; i < examples.Count; i++)
            {
                if (foldOf[i] != fold)
                    train.Add(examples[i]);
            }
            if (train.Count == examples.Count || train.All(e => e.IsSpam) || train.All(e => !e.IsSpam))
                continue;
            var probe = TrainWeights(train, options, cancellationToken);
            for (var i = 0; i < examples.Count; i++)
            {
                if (foldOf[i] == fold)
                    heldOut.Add((probe.Logit(examples[i].Features), examples[i].RuleEvidence, examples[i].IsSpam));
            }
        }
        return heldOut;
    }

    [SuppressMessage("Security", "CA5394:Do not use insecure randomness", Justification = "A seeded shuffle for training and evaluation, repeatable on purpose; nothing secret depends on it.")]
    private static SpamModel TrainWeights(IReadOnlyList<Example> examples, Options options, CancellationToken cancellationToken)
    {
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
                var (features, isSpam, _, _) = examples[index];
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
