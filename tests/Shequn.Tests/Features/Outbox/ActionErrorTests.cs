using System.Globalization;
using Shequn.Features.Outbox;
using Shequn.Platform.Api;
using Shequn.Platform.Localization;

namespace Shequn.Tests.Features.Outbox;

/// <summary>Shequn's own words about a failed action are translated in the console; a platform's are shown as said.</summary>
public class ActionErrorTests
{
    private static readonly JsonStringLocalizerFactory Factory = new();

    private static string? Shown(OutboundAction action, string culture)
    {
        var before = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo(culture);
        try
        {
            return ActionError.Text(action, Factory.Create(typeof(Strings)));
        }
        finally
        {
            CultureInfo.CurrentUICulture = before;
        }
    }

    private static OutboundAction Failed(string error, Reason? reason) =>
        new() { Payload = "{}", IdempotencyKey = "k", Error = error, ErrorReason = ActionError.Store(reason) };

    [Fact]
    public void OwnReason_WithANestedReason_IsTranslatedWhole()
    {
        var reason = new Reason("ConnectorError.Cannot", "The Sandbox cannot Ban.", new Reason("Platform.Sandbox", "The Sandbox"), ActionError.Kind(ActionKind.Ban));
        var action = Failed(reason.English, reason);

        Assert.Equal("沙盒不支持“封禁”。", Shown(action, Cultures.Default));
        Assert.Equal("Sandbox cannot do “Ban”.", Shown(action, Cultures.English));
    }

    [Fact]
    public void PlatformWords_AreShownAsThePlatformSaidThem()
    {
        var action = Failed("Bad Request: chat not found", null);

        Assert.Equal("Bad Request: chat not found", Shown(action, Cultures.Default));
    }

    [Fact]
    public void UnknownOrUnreadableReason_FallsBackToTheStoredWords()
    {
        var unknown = Failed("words", new Reason("ConnectorError.NoSuchKey", "words"));
        var unreadable = new OutboundAction { Payload = "{}", IdempotencyKey = "k", Error = "words", ErrorReason = "{not json" };

        Assert.Equal(("words", "words"), (Shown(unknown, Cultures.Default), Shown(unreadable, Cultures.Default)));
    }
}
