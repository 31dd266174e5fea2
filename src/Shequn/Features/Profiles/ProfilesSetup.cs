namespace Shequn.Features.Profiles;

public static class ProfilesSetup
{
    /// <summary>Profiles: the workspace's template, member values, form links and the reveal log.</summary>
    public static IHostApplicationBuilder AddShequnProfiles(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ProfilesOptions>().Bind(builder.Configuration.GetSection("Profiles"))
            .Validate(o => o.LinkLifetime > TimeSpan.Zero, "Profiles: LinkLifetime must be positive.")
            .Validate(o => Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _), "Profiles: PublicBaseUrl must be an absolute URL.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ProfileLinks>();
        return builder;
    }
}
