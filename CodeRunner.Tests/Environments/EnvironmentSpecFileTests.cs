using CodeRunner.Core.Common;
using CodeRunner.Core.Environments;

namespace CodeRunner.Tests.Environments;

public sealed class EnvironmentSpecFileTests
{
    [Fact]
    public void Environment_yml_dependencies_and_pip_section_become_pip_specs_without_python_and_pip()
    {
        const string yaml = """
            name: data
            channels:
              - conda-forge
            dependencies:
              - python=3.11
              - numpy=1.26   # pinned
              - "pandas>=2"
              - pip
              - pip:
                  - requests==2.31.0
            """;

        var specs = EnvironmentSpecFile.Parse("environment.yml", yaml, pipStyle: true);

        Assert.Equal(["numpy==1.26.*", "pandas>=2", "requests==2.31.0"], specs);
    }

    [Fact]
    public void Requirements_txt_with_an_option_line_is_refused_naming_the_file_field()
    {
        var error = Assert.Throws<ValidationError>(() => EnvironmentSpecFile.Parse("requirements.txt", "numpy\n--extra-index-url https://evil.example\n", pipStyle: true));

        Assert.Equal("environments.invalid_spec", error.Code);
        Assert.Equal(EnvironmentSpecFile.Field, error.Field);
    }

    [Fact]
    public void A_binary_or_unknown_file_is_refused()
    {
        Assert.Equal("environments.spec_file_not_text", Assert.Throws<ValidationError>(() => EnvironmentSpecFile.Parse("requirements.txt", "a\0b", true)).Code);
        Assert.Equal("environments.spec_file_type", Assert.Throws<ValidationError>(() => EnvironmentSpecFile.Parse("setup.py", "numpy", true)).Code);
    }

    [Theory]
    [InlineData("numpy", "", "numpy")]
    [InlineData("numpy", "1.26.4", "numpy==1.26.4")]
    [InlineData("numpy", ">=1.26,<2", "numpy>=1.26,<2")]
    public void Package_name_and_version_field_combine_into_one_spec(string name, string version, string expected)
    {
        Assert.Equal(expected, PackageOperationService.CombineSpec(name, version));
    }
}
