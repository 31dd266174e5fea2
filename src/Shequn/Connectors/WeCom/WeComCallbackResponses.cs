using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Shequn.Connectors.WeCom;

/// <summary>
/// The HTTP answers of the WeCom callback endpoint, kept apart from routing so that the endpoint (which needs the
/// per-connection Token, EncodingAESKey and corp id, a later slice) only has to find the connection's
/// <see cref="WeComCrypto"/> and call these.
/// </summary>
public static class WeComCallbackResponses
{
    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// The URL-verification GET (platforms.md A1.1): the decrypted echostr as the bare body (text/plain, no quotes,
    /// BOM or newline). ASP.NET has already URL-decoded the query values.
    /// </summary>
    public static Results<ContentHttpResult, ProblemHttpResult> VerifyUrl(
        WeComCrypto crypto, string? msgSignature, string? timestamp, string? nonce, string? echoStr)
    {
        ArgumentNullException.ThrowIfNull(crypto);
        try
        {
            return TypedResults.Text(crypto.VerifyAndDecrypt(msgSignature, timestamp, nonce, echoStr), "text/plain", Utf8NoBom);
        }
        catch (WeComCallbackException e)
        {
            return Problem(e);
        }
    }

    /// <summary>
    /// The status for a callback that failed: 401 when it is not signed by WeCom with our token, 403 when it is
    /// addressed to another corp, 400 when it cannot be decrypted or read.
    /// </summary>
    public static int StatusCode(WeComCallbackError error) => error switch
    {
        WeComCallbackError.InvalidSignature => StatusCodes.Status401Unauthorized,
        WeComCallbackError.MissingField => StatusCodes.Status401Unauthorized,
        WeComCallbackError.WrongReceiveId => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status400BadRequest,
    };

    public static ProblemHttpResult Problem(WeComCallbackException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var status = StatusCode(e.Error);
        return TypedResults.Problem(statusCode: status, title: status switch
        {
            StatusCodes.Status401Unauthorized => "Unauthorized",
            StatusCodes.Status403Forbidden => "Forbidden",
            _ => "Bad request",
        }, detail: e.Message, extensions: new Dictionary<string, object?> { ["wecomError"] = (int)e.Error });
    }
}
