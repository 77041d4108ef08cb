using System.Security.Cryptography;
using System.Text;
using CodeRunner.Core.Common;
using CodeRunner.Core.Community;

namespace CodeRunner.Web.Community;

/// <summary>HTTP endpoints of the community that are not pages: avatar images.</summary>
public static class CommunityEndpoints
{
    public static IEndpointRouteBuilder MapCommunityEndpoints(this IEndpointRouteBuilder app)
    {
        // Avatars are public (profiles are readable without signing in). Only names the store generated resolve, the
        // content type comes from the checked magic bytes, and nosniff stops a browser from guessing anything else.
        app.MapGet(AvatarStore.UrlPrefix + "{name}", (string name, AvatarStore avatars, HttpContext http) =>
            {
                var file = avatars.Find(name);
                if (file is null) return Results.NotFound();
                http.Response.Headers.XContentTypeOptions = "nosniff";
                // A new upload gets a new random name, so a file never changes under its URL.
                http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
                return Results.File(file.FullPath, file.ContentType);
            })
            .AllowAnonymous();
        return app;
    }
}

/// <summary>Who counts as one viewer of a post for the once-a-day view count.</summary>
public static class ViewerKey
{
    /// <summary>Signed-in users count by id (in Core); visitors by a hash of address and browser, never stored in clear.</summary>
    public static string ForVisitor(RequestContext request)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{request.IpAddress}|{request.UserAgent}"));
        return "a:" + Convert.ToHexStringLower(hash)[..32];
    }
}
