using CodeRunner.Core.Execution;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CodeRunner.Tests.Execution;

public class ExecutionOptionsTests
{
    private static int[] ParallelApiRunsWith(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
        using var services = new ServiceCollection().AddExecutionFeature(configuration).BuildServiceProvider();
        return services.GetRequiredService<IOptions<ExecutionOptions>>().Value.ParallelApiRunsByLevel;
    }

    [Fact]
    public void Without_configuration_the_parallel_api_runs_are_the_defaults() =>
        Assert.Equal([1, 2, 4, 8], ParallelApiRunsWith());

    [Fact]
    public void A_configured_level_replaces_the_default_of_that_level_instead_of_being_appended()
    {
        Assert.Equal([3, 2, 4, 8], ParallelApiRunsWith(("Execution:ParallelApiRunsByLevel:0", "3")));
        Assert.Equal([1, 5, 4, 8], ParallelApiRunsWith(("Execution:ParallelApiRunsByLevel:1", "5")));
        Assert.Equal([9, 9, 9, 9], ParallelApiRunsWith(("Execution:ParallelApiRunsByLevel:0", "9"), ("Execution:ParallelApiRunsByLevel:1", "9"),
            ("Execution:ParallelApiRunsByLevel:2", "9"), ("Execution:ParallelApiRunsByLevel:3", "9")));
        Assert.Equal([1, 2, 4, 8, 8, 16], ParallelApiRunsWith(("Execution:ParallelApiRunsByLevel:5", "16")));
    }

    [Fact]
    public void A_parallel_api_run_cap_that_is_not_a_positive_number_fails_with_the_key_named()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ParallelApiRunsWith(("Execution:ParallelApiRunsByLevel:1", "0")));
        Assert.Contains("Execution:ParallelApiRunsByLevel:1", error.Message);
    }
}
