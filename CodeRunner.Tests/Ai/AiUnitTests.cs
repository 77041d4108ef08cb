using CodeRunner.Core.Ai;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CodeRunner.Tests.Ai;

public class MissingPackageDetectorTests
{
    [Theory]
    [InlineData("Traceback (most recent call last):\n  File \"main.py\", line 1, in <module>\n    import cv2\nModuleNotFoundError: No module named 'cv2'\n", "cv2", "opencv-python")]
    [InlineData("ModuleNotFoundError: No module named 'sklearn'", "sklearn", "scikit-learn")]
    [InlineData("ModuleNotFoundError: No module named 'PIL'", "PIL", "Pillow")]
    [InlineData("ModuleNotFoundError: No module named 'yaml'", "yaml", "PyYAML")]
    [InlineData("ModuleNotFoundError: No module named 'bs4'", "bs4", "beautifulsoup4")]
    [InlineData("ModuleNotFoundError: No module named 'requests'", "requests", "requests")]
    [InlineData("ModuleNotFoundError: No module named 'sklearn.ensemble'", "sklearn", "scikit-learn")]
    [InlineData("ModuleNotFoundError: No module named 'google.protobuf'", "google", "protobuf")]
    [InlineData("ImportError: No module named 'dateutil'", "dateutil", "python-dateutil")]
    public void Known_import_names_map_to_their_package(string output, string module, string package)
    {
        Assert.Equal(new MissingPackage(module, package), MissingPackageDetector.Detect(output));
    }

    [Fact]
    public void The_last_missing_module_is_the_one_that_stopped_the_program()
    {
        var output = "ModuleNotFoundError: No module named 'yaml'\nretrying\nModuleNotFoundError: No module named 'bs4'\n";
        Assert.Equal("beautifulsoup4", MissingPackageDetector.Detect(output)!.Package);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("NameError: name 'x' is not defined")]
    [InlineData("ModuleNotFoundError: No module named 'tkinter'")]
    [InlineData("ModuleNotFoundError: No module named 'x; rm -rf /'")]
    [InlineData("ModuleNotFoundError: No module named '--index-url=http://evil'")]
    public void Nothing_installable_means_no_offer(string? output)
    {
        Assert.Null(MissingPackageDetector.Detect(output));
    }
}

public class AiErrorAndPromptTests
{
    [Theory]
    [InlineData(401, "{}", AiFailure.Unauthorized)]
    [InlineData(403, "{}", AiFailure.Unauthorized)]
    [InlineData(404, "{\"error\":{\"code\":\"model_not_found\"}}", AiFailure.ModelNotFound)]
    [InlineData(404, "404 page not found", AiFailure.EndpointNotFound)]
    [InlineData(400, "{\"error\":{\"message\":\"Model Not Exist\"}}", AiFailure.ModelNotFound)]
    [InlineData(400, "{\"error\":{\"message\":\"bad temperature\"}}", AiFailure.ServerError)]
    [InlineData(429, "{}", AiFailure.RateLimited)]
    [InlineData(504, "", AiFailure.Timeout)]
    [InlineData(502, "", AiFailure.ServerError)]
    public void Statuses_map_to_failures(int status, string body, AiFailure failure)
    {
        Assert.Equal(failure, AiErrorClassifier.FromStatus(status, body).Failure);
    }

    [Fact]
    public void A_fence_is_longer_than_any_backtick_run_in_the_code()
    {
        var fenced = AssistantPrompts.Fenced("s = '````'\n", "python");
        Assert.StartsWith("`````python\n", fenced);
        Assert.EndsWith("\n`````\n", fenced);
    }

    [Fact]
    public async Task A_loopback_provider_is_refused_unless_private_network_is_allowed()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var clients = new AiChatClientFactory(Options.Create(new AiOptions { AllowPrivateNetwork = false }), NullLoggerFactory.Instance);
        var provider = new ResolvedProvider(1, AiProviderKinds.Find(AiProviderKinds.OpenAI)!, "coder", new Uri(server.V1 + "/"), FakeOpenAiServer.ApiKey, 0, 16, false);
        var history = new Microsoft.SemanticKernel.ChatCompletion.ChatHistory();
        history.AddUserMessage("hi");
        var error = await Assert.ThrowsAnyAsync<Exception>(() => clients.Create(provider).Service.GetChatMessageContentsAsync(history));
        Assert.Equal(AiFailure.EndpointBlocked, AiErrorClassifier.Classify(error, streamStarted: false).Failure);
        Assert.Empty(server.Requests);
    }
}

public class AssistantAnswerTests
{
    [Fact]
    public void The_largest_python_block_is_the_program()
    {
        var answer = "先安装：\n```bash\npip install numpy\n```\n程序：\n```python\nimport numpy as np\nprint(np.arange(3))\n```\n小例子：\n```py\nprint(1)\n```\n";
        Assert.Equal("import numpy as np\nprint(np.arange(3))\n", AssistantAnswer.ExtractCode(answer));
    }

    [Fact]
    public void An_answer_still_streaming_has_no_program_yet()
    {
        Assert.Null(AssistantAnswer.ExtractCode("这样改：\n```python\nprint('half"));
        Assert.Null(AssistantAnswer.ExtractCode("只是解释，没有代码。"));
    }

    [Fact]
    public void A_longer_fence_keeps_inner_backticks()
    {
        Assert.Equal("s = '```'\n", AssistantAnswer.ExtractCode("````python\ns = '```'\n````\n"));
    }
}

public class LineDiffTests
{
    [Fact]
    public void A_changed_line_shows_as_removed_then_added_between_unchanged_lines()
    {
        var diff = LineDiff.Compute("a = 1\nprint(a / 0)\nprint('end')\n", "a = 1\nprint(a / 1)\nprint('end')\n");
        Assert.Equal(
        [
            new DiffLine(DiffKind.Same, "a = 1"),
            new DiffLine(DiffKind.Removed, "print(a / 0)"),
            new DiffLine(DiffKind.Added, "print(a / 1)"),
            new DiffLine(DiffKind.Same, "print('end')"),
        ], diff);
    }

    [Fact]
    public void Inserted_and_deleted_lines_keep_the_rest_aligned()
    {
        var diff = LineDiff.Compute("x\ny\nz", "w\nx\nz\nq");
        Assert.Equal("+w | x | -y | z | +q", string.Join(" | ", diff.Select(d => d.Kind switch { DiffKind.Added => "+", DiffKind.Removed => "-", _ => "" } + d.Text)));
    }

    [Fact]
    public void An_empty_editor_diffs_as_all_added()
    {
        Assert.All(LineDiff.Compute("", "print(1)\nprint(2)"), d => Assert.Equal(DiffKind.Added, d.Kind));
    }
}

public class AssistantMarkdownTests
{
    [Fact]
    public void Raw_html_and_unsafe_links_from_a_provider_are_neutralised()
    {
        var html = AssistantMarkdown.ToHtml("<script>alert(1)</script>\n\n[click](javascript:alert(1)) ![x](http://tracker.example/p.png) <img src=x onerror=alert(1)>\n\n```python\nprint('<b>')\n```");
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("javascript:", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("&lt;b&gt;", html);
    }

    [Fact]
    public void Ordinary_markdown_renders()
    {
        var html = AssistantMarkdown.ToHtml("**注意**：见 [文档](https://docs.python.org)。");
        Assert.Contains("<strong>注意</strong>", html);
        Assert.Contains("href=\"https://docs.python.org\"", html);
    }
}
