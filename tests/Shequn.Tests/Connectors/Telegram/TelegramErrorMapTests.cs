using System.Net;
using Shequn.Connectors;
using Shequn.Connectors.Telegram;
using Shequn.Features.Outbox;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace Shequn.Tests.Connectors.Telegram;

/// <summary>Telegram's refusals as the outbox's categories, in Telegram's words (platforms.md B1).</summary>
public sealed class TelegramErrorMapTests
{
    [Theory]
    [InlineData(401, "Unauthorized", ErrorCategory.Auth)]
    [InlineData(404, "Not Found", ErrorCategory.Auth)]
    [InlineData(403, "Forbidden: bot was kicked from the supergroup chat", ErrorCategory.Configuration)]
    [InlineData(400, "Bad Request: not enough rights to restrict/unrestrict chat member", ErrorCategory.Configuration)]
    [InlineData(400, "Bad Request: chat not found", ErrorCategory.Configuration)]
    [InlineData(400, "Bad Request: message to be replied not found", ErrorCategory.Permanent)]
    [InlineData(500, "Internal Server Error", ErrorCategory.Transient)]
    [InlineData(502, "Bad Gateway", ErrorCategory.Transient)]
    public void ApiErrors_MapToTheirCategory_KeepingTheWords(int code, string description, ErrorCategory expected)
    {
        var mapped = TelegramConnector.Map(new ApiRequestException(description, code))!;
        Assert.Equal(expected, mapped.Category);
        Assert.Contains(description, mapped.Message, StringComparison.Ordinal);
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), mapped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TooManyRequests_WaitsRetryAfter_FromTheParametersOrElseTheText()
    {
        var withParameters = TelegramConnector.Map(new ApiRequestException("Too Many Requests: retry after 7", 429, new ResponseParameters { RetryAfter = 7 }))!;
        Assert.Equal((ErrorCategory.RateLimited, TimeSpan.FromSeconds(7)), (withParameters.Category, withParameters.RetryAfter));
        var old = TelegramConnector.Map(new ApiRequestException("Too Many Requests: retry after 134", 429))!;
        Assert.Equal((ErrorCategory.RateLimited, TimeSpan.FromSeconds(134)), (old.Category, old.RetryAfter));
    }

    [Fact]
    public void NoAnswer_IsTransient_AndAnUnknownErrorToo()
    {
        Assert.Equal(ErrorCategory.Transient, TelegramConnector.Map(new RequestException("Bad Gateway", HttpStatusCode.BadGateway))!.Category);
        Assert.Equal(ErrorCategory.Transient, TelegramConnector.Map(new HttpRequestException("Connection refused"))!.Category);
        Assert.Equal(ErrorCategory.Transient, TelegramConnector.Map(new InvalidOperationException("something odd"))!.Category);
        Assert.Null(TelegramConnector.Map(new ConnectorException(ErrorCategory.Permanent, "already sorted")));
    }
}
