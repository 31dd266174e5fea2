using Shequn.Features.Acquisition;

namespace Shequn.Tests.Features.Acquisition;

public sealed class FriendScheduleTests
{
    private static readonly DateOnly Day = new(2026, 12, 7);

    [Theory]
    [InlineData(20, 9, 21)]
    [InlineData(50, 9, 21)]
    [InlineData(1, 9, 21)]
    [InlineData(5, 20, 21)]
    [InlineData(18, 9, 12)]
    public void SlotMinute_EverySlotInsideTheWindow_AtLeastTenMinutesApart(int limit, int start, int end)
    {
        foreach (var account in Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()))
        {
            var minutes = Enumerable.Range(0, limit).Select(s => FriendSchedule.SlotMinute(account, Day, s, limit, start, end)).ToList();

            Assert.All(minutes, m => Assert.InRange(m, start * 60, end * 60 - 1));
            Assert.All(minutes.Zip(minutes.Skip(1)), p => Assert.True(p.Second - p.First >= FriendSchedule.MinGapMinutes, $"{p.First} → {p.Second}"));
        }
    }

    [Fact]
    public void SlotMinute_SpreadsTwentyOverTheDay_NotBunchedAtTheStart()
    {
        var account = Guid.NewGuid();
        var minutes = Enumerable.Range(0, 20).Select(s => FriendSchedule.SlotMinute(account, Day, s, 20, 9, 21)).ToList();

        Assert.True(minutes[0] < 10 * 60, "the first add is in the first hour");
        Assert.True(minutes[^1] > 20 * 60, "the last add is in the last hour");
    }

    [Fact]
    public void SlotMinute_HasJitter_SoGapsAreNotAllEqual()
    {
        var account = Guid.NewGuid();
        var minutes = Enumerable.Range(0, 20).Select(s => FriendSchedule.SlotMinute(account, Day, s, 20, 9, 21)).ToList();

        Assert.True(minutes.Zip(minutes.Skip(1)).Select(p => p.Second - p.First).Distinct().Count() > 3);
        // Stable: every node and retry computes the same times.
        Assert.Equal(minutes, Enumerable.Range(0, 20).Select(s => FriendSchedule.SlotMinute(account, Day, s, 20, 9, 21)));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Choose_NeverRepeatsTheNeighbours(int count)
    {
        var greetings = Enumerable.Range(1, count).Select(i => new FriendGreeting($"g{i}", $"text {i}")).ToList();
        var account = Guid.NewGuid();
        string? before = null;
        for (var slot = 0; slot < 20; slot++)
        {
            var chosen = FriendSchedule.Choose(greetings, account, Day, slot, before, null);
            Assert.NotEqual(before, chosen.Key);
            before = chosen.Key;
        }
        // Filling a gap between two planned adds avoids both when there are three or more greetings.
        if (count >= 3)
            Assert.All(Enumerable.Range(0, 10), slot => Assert.DoesNotContain(FriendSchedule.Choose(greetings, account, Day, slot, "g1", "g2").Key, new[] { "g1", "g2" }));
    }

    [Fact]
    public void Choose_OneGreeting_UsesIt()
    {
        var only = new FriendGreeting("g", "hi");
        Assert.Same(only, FriendSchedule.Choose([only], Guid.NewGuid(), Day, 3, "g", "g"));
    }
}
