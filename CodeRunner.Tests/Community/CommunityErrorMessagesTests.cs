using System.Text.RegularExpressions;
using System.Xml.Linq;
using CodeRunner.Tests.Infrastructure;

namespace CodeRunner.Tests.Community;

public class CommunityErrorMessagesTests
{
    [Fact]
    public void Every_community_error_code_has_a_chinese_and_an_english_sentence()
    {
        var sources = Directory.GetFiles(Path.Combine(RepositoryPaths.Root, "CodeRunner.Core", "Community"), "*.cs").Select(File.ReadAllText);
        var codes = sources.SelectMany(s => Regex.Matches(s, "\"(community\\.[a-z_]+)\"").Select(m => m.Groups[1].Value)).Distinct().ToList();
        Assert.True(codes.Count >= 15, $"found only {codes.Count} codes");
        foreach (var file in new[] { "ErrorMessages.resx", "ErrorMessages.en.resx" })
        {
            var path = Path.Combine(RepositoryPaths.Root, "CodeRunner.Web", "Resources", "Localization", file);
            var keys = XDocument.Load(path).Root!.Elements("data").Select(d => (string)d.Attribute("name")!).ToHashSet();
            Assert.All(codes, code => Assert.True(keys.Contains(code), $"{code} missing in {file}"));
        }
    }
}
