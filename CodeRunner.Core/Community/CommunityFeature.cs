using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CodeRunner.Core.Community;

public static class CommunityFeature
{
    /// <summary>Services of the Community feature; called from AddCodeRunnerCore.</summary>
    public static IServiceCollection AddCommunityFeature(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<CommunityOptions>(configuration.GetSection(CommunityOptions.Section));
        services.AddSingleton<MarkdownRenderer>();
        services.AddSingleton<AvatarStore>();
        services.AddScoped<CommunityWriteGate>();
        services.AddScoped<NotificationService>();
        services.AddScoped<PostService>();
        services.AddScoped<CommentService>();
        services.AddScoped<ReactionService>();
        services.AddScoped<FollowService>();
        services.AddScoped<ProfileService>();
        services.AddScoped<FeedQueries>();
        services.AddSingleton<PostViewPruner>();
        services.AddHostedService(provider => provider.GetRequiredService<PostViewPruner>());
        return services;
    }
}
