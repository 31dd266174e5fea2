using System.Collections.Frozen;

namespace Shequn.Features.Moderation;

public enum MessageKind
{
    Text,
    Image,
    QrCodeImage,
    MiniProgramCard,
    RedPacket,
    Link,
    File,
    Voice,
    Video,
    Sticker,
}

/// <summary>A message to check. <paramref name="FromMember"/> is false for senders outside the group's members.</summary>
public sealed record ModerationMessage(string Text, MessageKind Kind = MessageKind.Text, bool FromMember = true);

public enum ModerationDecision
{
    Allow,
    Review,
    Act,
}

public enum EvidenceSource
{
    WordList,
    Pattern,
    MessageKind,
    Model,
}

/// <summary>
/// Why a message scored as it did: which list and term, pattern or message kind, the span of the original
/// text it covers (length 0 when it has none), and the weight it added.
/// </summary>
public sealed record Evidence(EvidenceSource Source, string Rule, string? Term, int Start, int Length, double Weight);

public sealed record ModerationResult(double Score, ModerationDecision Decision, double? ModelScore, IReadOnlyList<Evidence> Evidence);

/// <summary>Score at or above <see cref="Review"/> goes to a person; at or above <see cref="Act"/> the rules act on it.</summary>
public sealed record ModerationThresholds(double Review = 0.5, double Act = 0.9)
{
    public static ModerationThresholds Default { get; } = new();
}

/// <summary>
/// Everything a check reads, swapped as one immutable unit: a rebuilt lexicon or a retrained model replaces
/// the snapshot atomically while checks that already started finish on the previous one.
/// </summary>
public sealed record ModerationSnapshot(
    CompiledLexicon Lexicon,
    PatternSet Patterns,
    SpamModel? Model,
    ModerationThresholds Thresholds)
{
    public static ModerationSnapshot Empty { get; } = new(CompiledLexicon.Empty, PatternSet.Default, null, ModerationThresholds.Default);

    /// <summary>The built-in rules as the workspace set them (switched off, reweighted).</summary>
    public BuiltInRules Rules { get; init; } = BuiltInRules.Default;
}

/// <summary>
/// Scores messages: normalisation, word lists, patterns and the learned model combined into one score with
/// its evidence. Thread-safe; per-thread buffers keep the hot path free of large allocations.
/// </summary>
/// <remarks>
/// Rules and model combine as independent pieces of evidence (noisy-OR): score = 1 − (1 − p) · Π(1 − wᵢ),
/// with p the model's probability and wᵢ the weight of each distinct rule hit. A single generic pattern is
/// weighted below the act threshold on purpose: only policy a workspace set (denied domains, heavy lists,
/// its own regexes) or several signals together act without the model agreeing.
/// </remarks>
public sealed class ModerationEngine(ModerationSnapshot snapshot)
{
    /// <summary>Evidence kept per message; scoring still uses every hit.</summary>
    public const int MaxEvidence = 64;

    /// <summary>Weight each pattern kind adds when it fires, unless the workspace changed it (<see cref="BuiltInRules"/>).</summary>
    public static FrozenDictionary<PatternKind, double> PatternWeights { get; } = new Dictionary<PatternKind, double>
    {
        [PatternKind.Url] = 0.3,
        [PatternKind.DeniedDomain] = 0.95,
        [PatternKind.Email] = 0.3,
        [PatternKind.Phone] = 0.5,
        [PatternKind.WeChatId] = 0.8,
        [PatternKind.QqNumber] = 0.8,
        [PatternKind.LongDigitRun] = 0.2,
        [PatternKind.ContactToken] = 0.1,
        [PatternKind.Handle] = 0.3,
        [PatternKind.WeChatCodeWord] = 0.3,
        [PatternKind.QqCodeWord] = 0.3,
        [PatternKind.Solicitation] = 0.2,
        [PatternKind.QrCodeImage] = 0.7,
        [PatternKind.MiniProgramCard] = 0.6,
        [PatternKind.RedPacketFromOutsider] = 0.9,
        [PatternKind.Custom] = 0.5,
    }.ToFrozenDictionary();

    private static readonly string[] KindNames = Enum.GetNames<PatternKind>();

    private ModerationSnapshot _snapshot = snapshot ?? throw new ArgumentNullException(nameof(snapshot));

    public ModerationEngine()
        : this(ModerationSnapshot.Empty)
    {
    }

    public ModerationSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Replaces what checks read; checks already running finish on the snapshot they started with.</summary>
    public void Swap(ModerationSnapshot next)
    {
        ArgumentNullException.ThrowIfNull(next);
        Volatile.Write(ref _snapshot, next);
    }

    public void UseLexicon(CompiledLexicon lexicon) => Update(s => s with { Lexicon = lexicon });

    public void UsePatterns(PatternSet patterns) => Update(s => s with { Patterns = patterns });

    public void UseModel(SpamModel? model) => Update(s => s with { Model = model });

    public void UseThresholds(ModerationThresholds thresholds) => Update(s => s with { Thresholds = thresholds });

    public void UseRules(BuiltInRules rules) => Update(s => s with { Rules = rules });

    private void Update(Func<ModerationSnapshot, ModerationSnapshot> change)
    {
        while (true)
        {
            var current = Snapshot;
            if (Interlocked.CompareExchange(ref _snapshot, change(current), current) == current)
                return;
        }
    }

    public ModerationResult Check(string text) => Check(new ModerationMessage(text));

    public ModerationResult Check(ModerationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var snapshot = Snapshot;
        var scratch = Scratch.ForThread();
        Analyse(message.Text ?? "", snapshot, scratch);

        var evidence = new List<Evidence>(Math.Min(MaxEvidence, scratch.LexiconHits.Count + scratch.PatternHits.Count) + 2);
        // Generic rules (built-in patterns, light lists) are what a calibrated model was fitted with; policy (denied
        // domains, heavy lists, the workspace's own patterns, message kinds) always adds on top.
        var generic = 1.0;
        var policy = 1.0;
        var normalised = scratch.Text;

        // Each distinct term counts once, however often it is repeated.
        scratch.SeenEntries.Clear();
        foreach (var hit in scratch.LexiconHits)
        {
            var list = snapshot.Lexicon.ListOf(hit.Entry);
            if (!scratch.SeenEntries.Add(hit.Entry))
                continue;
            var weight = Math.Clamp(list.Weight, 0, 1);
            if (IsPolicyWeight(weight))
                policy *= 1 - weight;
            else
                generic *= 1 - weight;
            if (evidence.Count < MaxEvidence)
            {
                var (start, length) = normalised.MapCompact(hit.Start, hit.Length);
                evidence.Add(new Evidence(EvidenceSource.WordList, list.Name, snapshot.Lexicon.TermOf(hit.Entry), start, length, list.Weight));
            }
        }

        var kindsSeen = 0;
        foreach (var hit in scratch.PatternHits)
        {
            if (hit.Kind != PatternKind.Custom && !snapshot.Rules.IsEnabled(hit.Kind))
                continue;
            var weight = hit.Kind == PatternKind.Custom ? CustomWeight(snapshot.Patterns, hit.Detail) : snapshot.Rules.Weight(hit.Kind);
            var bit = 1 << (int)hit.Kind;
            // Patterns count once per kind (ten URLs are not ten times as bad); custom patterns once per pattern.
            if (hit.Kind == PatternKind.Custom ? scratch.SeenCustom.Add(hit.Detail ?? "") : (kindsSeen & bit) == 0)
            {
                if (hit.Kind is PatternKind.Custom or PatternKind.DeniedDomain)
                    policy *= 1 - weight;
                else
                    generic *= 1 - weight;
            }
            kindsSeen |= bit;
            if (evidence.Count < MaxEvidence)
            {
                var (start, length) = hit.InLite ? normalised.MapLite(hit.Start, hit.Length) : normalised.MapCompact(hit.Start, hit.Length);
                var excerpt = message.Text!.Substring(start, length);
                var rule = hit.Kind == PatternKind.Custom ? $"custom:{hit.Detail}" : KindNames[(int)hit.Kind];
                evidence.Add(new Evidence(EvidenceSource.Pattern, rule, excerpt, start, length, weight));
            }
        }
        scratch.SeenCustom.Clear();

        var kind = KindEvidence(message);
        if (kind is { } k && snapshot.Rules.IsEnabled(k))
        {
            var weight = snapshot.Rules.Weight(k);
            policy *= 1 - weight;
            evidence.Add(new Evidence(EvidenceSource.MessageKind, KindNames[(int)k], null, 0, 0, weight));
        }

        double? modelScore = null;
        var rules = policy * generic;
        if (snapshot.Model is { } model)
        {
            var logit = model.Logit(Features(message.Text, snapshot, scratch));
            if (model.Calibration is { } calibration)
            {
                // The calibrated probability already weighs the generic rules; only policy adds on top.
                modelScore = calibration.Probability(logit, RuleEvidence(generic));
                rules = policy * (1 - modelScore.Value);
            }
            else
            {
                modelScore = 1.0 / (1.0 + Math.Exp(-logit));
                rules *= 1 - modelScore.Value;
            }
            evidence.Add(new Evidence(EvidenceSource.Model, "model", null, 0, 0, modelScore.Value));
        }

        var score = 1 - rules;
        return new ModerationResult(score, Decide(score, snapshot.Thresholds), modelScore, evidence);
    }

    /// <summary>The score alone (no evidence objects), for evaluation loops.</summary>
    public double Score(ModerationMessage message) => Check(message).Score;

    internal static ModerationDecision Decide(double score, ModerationThresholds thresholds) =>
        score >= thresholds.Act ? ModerationDecision.Act : score >= thresholds.Review ? ModerationDecision.Review : ModerationDecision.Allow;

    /// <summary>A word list at least this heavy is the workspace's policy (it acts on its own), not a hint for the model to weigh.</summary>
    public const double PolicyListWeight = 0.5;

    private static bool IsPolicyWeight(double weight) => weight >= PolicyListWeight;

    /// <summary>−ln of the product of (1 − w) over generic hits: the rules' evidence on the logit scale.</summary>
    private static double RuleEvidence(double product) => -Math.Log(Math.Max(product, 1e-9));

    /// <summary>
    /// One labelled text as a training example under the given snapshot: its features and the generic rule
    /// evidence the calibration weighs (built-in patterns that are not policy, word lists lighter than
    /// <see cref="PolicyListWeight"/>, each counted once as <see cref="Check(ModerationMessage)"/> does).
    /// </summary>
    public static SpamModelTrainer.Example ExtractExample(string text, bool isSpam, ModerationSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var scratch = Scratch.ForThread();
        Analyse(text ?? "", snapshot, scratch);
        var generic = 1.0;
        scratch.SeenEntries.Clear();
        foreach (var hit in scratch.LexiconHits)
        {
            var weight = Math.Clamp(snapshot.Lexicon.ListOf(hit.Entry).Weight, 0, 1);
            if (scratch.SeenEntries.Add(hit.Entry) && !IsPolicyWeight(weight))
                generic *= 1 - weight;
        }
        var kindsSeen = 0;
        foreach (var hit in scratch.PatternHits)
        {
            var bit = 1 << (int)hit.Kind;
            if (hit.Kind is PatternKind.Custom or PatternKind.DeniedDomain || !snapshot.Rules.IsEnabled(hit.Kind) || (kindsSeen & bit) != 0)
                continue;
            kindsSeen |= bit;
            generic *= 1 - snapshot.Rules.Weight(hit.Kind);
        }
        return new SpamModelTrainer.Example(Features(text, snapshot, scratch).ToArray(), isSpam, RuleEvidence(generic), text ?? "");
    }

    /// <summary>Features of one text under the given snapshot's lists and patterns (for training).</summary>
    public static int[] ExtractFeatures(string text, ModerationSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var scratch = Scratch.ForThread();
        Analyse(text ?? "", snapshot, scratch);
        return Features(text, snapshot, scratch).ToArray();
    }

    private static ReadOnlySpan<int> Features(string? text, ModerationSnapshot snapshot, Scratch scratch)
    {
        var need = SpamFeatures.Capacity(scratch.Text.CompactLength);
        if (scratch.FeatureBuffer.Length < need)
            scratch.FeatureBuffer = new int[Math.Max(need, scratch.FeatureBuffer.Length * 2)];
        var count = SpamFeatures.Extract(text, scratch.Text, scratch.PatternHits, scratch.LexiconHits, snapshot.Lexicon, scratch.FeatureBuffer);
        return scratch.FeatureBuffer.AsSpan(0, count);
    }

    private static void Analyse(string text, ModerationSnapshot snapshot, Scratch scratch)
    {
        TextNormaliser.Normalise(text, scratch.Text);
        scratch.LexiconHits.Clear();
        scratch.PatternHits.Clear();
        snapshot.Lexicon.Scan(scratch.Text.Compact, scratch.LexiconHits);
        ContactPatterns.Scan(scratch.Text, snapshot.Patterns, scratch.PatternHits);
        foreach (var custom in snapshot.Patterns.Custom)
            custom.Scan(scratch.Text.Lite, scratch.PatternHits, MaxEvidence);
    }

    private static double CustomWeight(PatternSet patterns, string? name)
    {
        foreach (var p in patterns.Custom)
        {
            if (p.Name == name)
                return p.Weight;
        }
        return 0;
    }

    private static PatternKind? KindEvidence(ModerationMessage message) => message.Kind switch
    {
        MessageKind.QrCodeImage => PatternKind.QrCodeImage,
        MessageKind.MiniProgramCard => PatternKind.MiniProgramCard,
        MessageKind.RedPacket when !message.FromMember => PatternKind.RedPacketFromOutsider,
        _ => null,
    };

    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? _current;

        public readonly NormalisedText Text = new();
        public readonly List<LexiconHit> LexiconHits = [];
        public readonly List<PatternHit> PatternHits = [];
        public readonly HashSet<int> SeenEntries = [];
        public readonly HashSet<string> SeenCustom = [];
        public int[] FeatureBuffer = new int[1024];

        public static Scratch ForThread() => _current ??= new Scratch();
    }
}
