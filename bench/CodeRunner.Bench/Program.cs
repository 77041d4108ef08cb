using CodeRunner.Bench;

// One mode per first argument, so other benchmarks can be added as new cases.
var mode = args.Length > 0 ? args[0] : "";
return mode switch
{
    "sandbox" => await SandboxBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/CodeRunner.Bench -- <mode>\nmodes:\n  sandbox   hello world through the sandbox vs bare python start, and runs/s at 1, 4, 16 concurrent runs");
    return 2;
}
