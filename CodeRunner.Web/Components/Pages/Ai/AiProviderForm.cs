using CodeRunner.Core.Ai;

namespace CodeRunner.Web.Components.Pages.Ai;

/// <summary>The add/edit form's fields; empty model and URL mean the kind's defaults, an empty key keeps the stored one.</summary>
public sealed class AiProviderForm
{
    public int? Id { get; set; }
    public string Name { get; set; } = "";
    public string Provider { get; set; } = AiProviderKinds.Qwen;
    public string? Model { get; set; }
    public string? BaseUrl { get; set; }
    public string? ApiKey { get; set; }
    public bool ClearApiKey { get; set; }
    public double Temperature { get; set; } = 0.2;
    public int MaxTokens { get; set; } = 2048;
    public bool HasStoredKey { get; set; }

    public AiProviderKind Kind => AiProviderKinds.Find(Provider) ?? AiProviderKinds.All[0];

    public static AiProviderForm From(AiProviderView view) => new()
    {
        Id = view.Id, Name = view.Name, Provider = view.Provider, Model = view.Model, BaseUrl = view.BaseUrl,
        Temperature = view.Temperature, MaxTokens = view.MaxTokens, HasStoredKey = view.HasApiKey,
    };

    public AiProviderEdit ToEdit() => new()
    {
        Name = Name, Provider = Provider, Model = Model, BaseUrl = BaseUrl, ApiKey = string.IsNullOrWhiteSpace(ApiKey) ? null : ApiKey,
        ClearApiKey = ClearApiKey, Temperature = Temperature, MaxTokens = MaxTokens,
    };
}
