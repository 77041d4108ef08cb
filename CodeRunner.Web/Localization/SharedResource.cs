namespace CodeRunner.Web.Localization;

/// <summary>Marker for strings shared by many components (Resources/Localization/SharedResource.resx).</summary>
public sealed class SharedResource;
