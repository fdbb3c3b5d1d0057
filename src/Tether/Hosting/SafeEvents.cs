using Microsoft.Extensions.Logging;

namespace Tether.Hosting;

/// <summary>
/// Raises the server's and client's events: a handler that throws is logged, and never stops the accept or reconnect
/// loop that raised it.
/// </summary>
internal static partial class SafeEvents
{
    public static void Raise<T>(EventHandler<T>? handler, object sender, T args, ILogger logger)
    {
        try
        {
            handler?.Invoke(sender, args);
        }
        catch (Exception e)
        {
            LogHandlerFailed(logger, sender.GetType().Name, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Source} event handler threw")]
    private static partial void LogHandlerFailed(ILogger logger, string source, Exception error);
}
