using CodeRunner.Core.Common;
using CodeRunner.Core.Execution;
using Microsoft.AspNetCore.Mvc;

namespace CodeRunner.Web.Execution;

/// <summary>Files a run left behind, for its owner (or an admin) signed in with the cookie.</summary>
public static class ArtifactEndpoints
{
    public static IEndpointRouteBuilder MapRunArtifacts(this IEndpointRouteBuilder app)
    {
        app.MapGet("/runs/{executionId:long}/artifacts/{**name}", async (long executionId, string name, [FromQuery] string? download,
                HttpContext http, ExecutionQueries queries, CancellationToken cancellationToken) =>
            {
                var actor = UserRef.FromPrincipal(http.User);
                if (actor is null) return Results.Unauthorized();
                try
                {
                    var file = await queries.GetArtifactAsync(actor, executionId, name, cancellationToken);
                    http.Response.Headers.CacheControl = "private, max-age=3600";
                    // Only raster images are shown inline; everything else is a download (with nosniff, an .html or .svg
                    // a program wrote can never act as a page of this site).
                    var inline = file.IsImage && download is null;
                    return Results.File(file.FullPath, inline ? file.ContentType : AttachmentType(file.ContentType),
                        fileDownloadName: inline ? null : file.Name);
                }
                catch (NotFoundError)
                {
                    return Results.NotFound();
                }
            })
            .RequireAuthorization();
        return app;
    }

    // Text-like types that a browser would render are served as plain bytes when downloaded.
    private static string AttachmentType(string contentType) =>
        contentType is "text/html" or "image/svg+xml" or "application/xml" ? "application/octet-stream" : contentType;
}
