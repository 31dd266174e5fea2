using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Shequn.Connectors.WeCom;

namespace Shequn.Tests.Connectors.WeCom;

/// <summary>The URL-verification GET of platforms.md A1.1 (vector W1a) through a real ASP.NET pipeline.</summary>
public sealed class WeComCallbackResponsesTests : IAsyncDisposable
{
    private const string EchoStr = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==";
    private readonly WebApplication _app;
    private readonly HttpClient _client;

    public WeComCallbackResponsesTests()
    {
        var crypto = new WeComCrypto("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt", "ww1436e0e65a779aee");
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        _app = builder.Build();
        _app.MapGet("/hook", (string? msg_signature, string? timestamp, string? nonce, string? echostr) =>
            WeComCallbackResponses.VerifyUrl(crypto, msg_signature, timestamp, nonce, echostr));
        _app.StartAsync().GetAwaiter().GetResult();
        _client = _app.GetTestClient();
    }

    private static string Query(string signature, string timestamp = "1476416373", string echo = EchoStr) =>
        $"/hook?msg_signature={signature}&timestamp={timestamp}&nonce=47744683&echostr={Uri.EscapeDataString(echo)}";

    [Fact]
    public async Task VerifyUrl_W1a_AnswersTheBarePlaintext()
    {
        var response = await _client.GetAsync(Query("012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        // Byte for byte: no BOM, no quotes, no newline.
        Assert.Equal("1288432023552776189"u8.ToArray(), await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task VerifyUrl_ForgedSignature_Is401ProblemAndNoPlaintext()
    {
        var response = await _client.GetAsync(Query("0000000000000000000000000000000000000000"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("msg_signature", body, StringComparison.Ordinal);
        Assert.DoesNotContain("1288432023552776189", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyUrl_MissingSignature_Is401()
    {
        var response = await _client.GetAsync($"/hook?timestamp=1476416373&nonce=47744683&echostr={Uri.EscapeDataString(EchoStr)}",
            TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task VerifyUrl_SignedGarbage_Is400()
    {
        const string garbage = "AAAA";
        var signature = WeComCrypto.Signature("hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo", "1476416373", "47744683", garbage);

        var response = await _client.GetAsync(Query(signature, echo: garbage), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData(WeComCallbackError.InvalidSignature, 401)]
    [InlineData(WeComCallbackError.MissingField, 401)]
    [InlineData(WeComCallbackError.WrongReceiveId, 403)]
    [InlineData(WeComCallbackError.DecryptFailed, 400)]
    [InlineData(WeComCallbackError.IllegalBuffer, 400)]
    [InlineData(WeComCallbackError.InvalidBase64, 400)]
    [InlineData(WeComCallbackError.MalformedXml, 400)]
    public void StatusCode_EachError_IsA4xx(WeComCallbackError error, int status) =>
        Assert.Equal(status, WeComCallbackResponses.StatusCode(error));

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }
}
