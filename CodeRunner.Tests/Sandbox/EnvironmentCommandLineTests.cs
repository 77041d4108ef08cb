using CodeRunner.Sandbox.Environments;

namespace CodeRunner.Tests.Sandbox;

public sealed class EnvironmentCommandLineTests
{
    private static readonly PackageSources Channels = new() { CondaChannels = ["conda-forge", "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge"] };

    [Fact]
    public void Conda_create_uses_the_prefix_python_version_and_overrides_channels()
    {
        Assert.Equal(
            ["create", "-y", "-p", "/data/envs/ml", "--override-channels", "-c", "conda-forge", "-c", "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge", "python=3.11", "numpy", "pandas>=2"],
            CondaCommandLine.Create("/data/envs/ml", "3.11", ["numpy", "pandas>=2"], Channels));
    }

    [Fact]
    public void Conda_create_without_channels_uses_the_tools_defaults()
    {
        Assert.Equal(["create", "-y", "-p", "/data/envs/ml", "python=3.12"], CondaCommandLine.Create("/data/envs/ml", "3.12", [], new PackageSources()));
    }

    [Fact]
    public void Conda_install_uninstall_upgrade_and_list_command_lines()
    {
        Assert.Equal(["install", "-y", "-p", "/e/a", "--override-channels", "-c", "conda-forge", "-c", "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge", "scipy==1.11"],
            CondaCommandLine.Install("/e/a", ["scipy==1.11"], Channels));
        Assert.Equal(["remove", "-y", "-p", "/e/a", "scipy", "numpy"], CondaCommandLine.Uninstall("/e/a", ["scipy", "numpy"]));
        Assert.Equal(["update", "-y", "-p", "/e/a", "scipy"], CondaCommandLine.Upgrade("/e/a", ["scipy"], new PackageSources()));
        Assert.Equal(["list", "-p", "/e/a", "--json"], CondaCommandLine.List("/e/a"));
    }

    [Fact]
    public void Conda_list_json_is_parsed_into_packages()
    {
        var packages = CondaEnvironmentManager.ParseList("""[{"base_url":"https://conda.anaconda.org/conda-forge","name":"numpy","version":"1.26.4","channel":"conda-forge"},{"name":"python","version":"3.11.9"}]""");

        Assert.Equal([new InstalledPackage("numpy", "1.26.4"), new InstalledPackage("python", "3.11.9")], packages);
    }

    [Fact]
    public void Pip_install_puts_sources_before_an_end_of_options_marker()
    {
        var sources = new PackageSources { PipIndexUrl = "https://pypi.tuna.tsinghua.edu.cn/simple", PipExtraIndexUrls = ["https://extra/simple"], FindLinks = ["/wheels"] };

        Assert.Equal(
            ["-m", "pip", "install", "--no-input", "--progress-bar", "off", "--index-url", "https://pypi.tuna.tsinghua.edu.cn/simple", "--extra-index-url", "https://extra/simple", "--find-links", "/wheels", "--", "requests==2.31.0"],
            PipCommandLine.Install(["requests==2.31.0"], sources));
        Assert.Equal(
            ["-m", "pip", "install", "--no-input", "--progress-bar", "off", "--dry-run", "--no-index", "--find-links", "/wheels", "--", "x"],
            PipCommandLine.Install(["x"], new PackageSources { NoIndex = true, PipIndexUrl = "https://ignored", FindLinks = ["/wheels"] }, dryRun: true));
    }

    [Fact]
    public void Configured_plain_http_sources_are_trusted_hosts_so_pip_does_not_ignore_a_lan_mirror()
    {
        var sources = new PackageSources { PipIndexUrl = "http://10.0.0.5:8080/simple", PipExtraIndexUrls = ["https://secure/simple", "http://10.0.0.5:8080/other"] };

        Assert.Equal(
            ["--index-url", "http://10.0.0.5:8080/simple", "--extra-index-url", "https://secure/simple", "--extra-index-url", "http://10.0.0.5:8080/other", "--trusted-host", "10.0.0.5:8080"],
            PipCommandLine.SourceArguments(sources));
    }

    [Fact]
    public void Conda_tool_is_not_found_for_a_configured_path_that_does_not_exist()
    {
        Assert.Null(EnvironmentManagerFactory.FindCondaTool("/nonexistent/micromamba"));
    }
}

public sealed class PackageSpecValidatorTests
{
    [Theory]
    [InlineData("numpy")]
    [InlineData("numpy==1.26.4")]
    [InlineData("pandas>=2,<3")]
    [InlineData("requests[socks]~=2.31")]
    [InlineData("scikit-learn")]
    [InlineData("zope.interface!=5.0")]
    [InlineData("numpy=1.26")]
    public void Accepts_plain_requirements(string spec) => Assert.Equal(spec, PackageSpecValidator.ValidatePackageSpec(spec));

    [Theory]
    [InlineData("--index-url=http://evil.example/simple")]
    [InlineData("-i")]
    [InlineData("-r/etc/passwd")]
    [InlineData("https://evil.example/pkg.whl")]
    [InlineData("pkg @ https://evil.example/pkg.whl")]
    [InlineData("../../etc/passwd")]
    [InlineData("/tmp/evil.whl")]
    [InlineData("numpy; rm -rf /")]
    [InlineData("numpy && curl x")]
    [InlineData("$(whoami)")]
    [InlineData("numpy`id`")]
    [InlineData("numpy|sh")]
    [InlineData("")]
    [InlineData("numpy\nrequests")]
    public void Rejects_options_urls_paths_and_shell_syntax(string spec)
    {
        var exception = Assert.Throws<InvalidPackageSpecException>(() => PackageSpecValidator.ValidatePackageSpec(spec));
        Assert.Equal(spec.Trim(), exception.Value);
    }

    [Theory]
    [InlineData("ml")]
    [InlineData("data-science_2")]
    [InlineData("A1")]
    public void Accepts_environment_names(string name) => Assert.Equal(name, PackageSpecValidator.ValidateEnvironmentName(name));

    [Theory]
    [InlineData("a")]
    [InlineData("1env")]
    [InlineData("../etc")]
    [InlineData("env name")]
    [InlineData("-rf")]
    [InlineData("env;rm")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij")]
    public void Rejects_environment_names(string name)
    {
        var exception = Assert.Throws<InvalidEnvironmentNameException>(() => PackageSpecValidator.ValidateEnvironmentName(name));
        Assert.Equal(name, exception.Value);
    }

    [Fact]
    public void Requirements_file_lines_are_validated_and_comments_dropped()
    {
        Assert.Equal(["numpy==1.26", "pandas"], PackageSpecValidator.ValidateRequirementsFile("# data\nnumpy==1.26\n\npandas  # frames\n"));
        Assert.Throws<InvalidPackageSpecException>(() => PackageSpecValidator.ValidateRequirementsFile("numpy\n--extra-index-url http://evil\n"));
    }
}
