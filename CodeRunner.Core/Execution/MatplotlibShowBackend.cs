namespace CodeRunner.Core.Execution;

/// <summary>
/// Makes <c>plt.show()</c> useful in a headless run without touching the user's code (line numbers stay
/// right): a matplotlib backend module shipped as a hidden support file. It renders with Agg, and show()
/// saves every open figure as figure-N.png in the work dir (so it becomes an artifact), then closes them.
/// The module is only imported if the program uses matplotlib, so other runs pay nothing.
/// </summary>
public static class MatplotlibShowBackend
{
    public const string Directory = ".coderunner";
    public const string ModuleName = "coderunner_show";

    public static IReadOnlyDictionary<string, string> SupportFiles { get; } = new Dictionary<string, string>
    {
        [$"{Directory}/{ModuleName}.py"] = """
            # CodeRunner: Agg rendering; plt.show() saves open figures as figure-N.png (shown on the run page).
            import os
            from matplotlib.backends.backend_agg import *  # noqa: F401,F403
            from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas, FigureManagerBase as FigureManager  # noqa: F401
            from matplotlib import _pylab_helpers

            _count = 0


            def show(*args, **kwargs):
                global _count
                for manager in _pylab_helpers.Gcf.get_all_fig_managers():
                    _count += 1
                    name = "figure-%d.png" % _count
                    while os.path.exists(name):
                        _count += 1
                        name = "figure-%d.png" % _count
                    manager.canvas.figure.savefig(name)
                _pylab_helpers.Gcf.destroy_all()
            """,
    };

    /// <summary>PYTHONPATH is relative to the work dir (the run's start directory); site makes it absolute at start-up.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentVariables { get; } = new Dictionary<string, string>
    {
        ["MPLBACKEND"] = $"module://{ModuleName}",
        ["PYTHONPATH"] = Directory,
    };
}
