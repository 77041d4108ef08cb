using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace CodeRunner.Web.Hosting;

/// <summary>
/// Serves `_framework/blazor.web.js` out of the .NET 9 Components.Endpoints dll that
/// BlazorScript.targets copies next to the app (the .NET 10 assets package is not in our
/// registry copy). The dll is read as data with PEReader, never loaded as an assembly.
/// </summary>
public static class BlazorScriptEndpoint
{
    public const string Path = "/_framework/blazor.web.js";
    private const string SourceFile = "blazor-script/source.bin";

    public static IEndpointRouteBuilder MapBlazorScript(this IEndpointRouteBuilder endpoints)
    {
        var script = new Lazy<byte[]>(() => ExtractScript(System.IO.Path.Combine(AppContext.BaseDirectory, SourceFile)));
        endpoints.MapGet(Path, (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Bytes(script.Value, "text/javascript");
        }).AllowAnonymous().ExcludeFromDescription();
        return endpoints;
    }

    public static byte[] ExtractScript(string dllPath)
    {
        using var stream = File.OpenRead(dllPath);
        using var pe = new PEReader(stream);
        var metadata = pe.GetMetadataReader();
        var resourcesDirectory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
        var section = pe.GetSectionData(resourcesDirectory.RelativeVirtualAddress);
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!metadata.GetString(resource.Name).EndsWith("blazor.web.js", StringComparison.Ordinal)) continue;
            // Each embedded resource is a 4-byte little-endian length followed by the bytes.
            var reader = section.GetReader((int)resource.Offset, section.Length - (int)resource.Offset);
            var length = reader.ReadInt32();
            return reader.ReadBytes(length);
        }
        throw new InvalidOperationException($"blazor.web.js not found in {dllPath}");
    }
}
