using System.Text.Json.Nodes;
using Tether.Functional.Tests.Infrastructure;

namespace Tether.Functional.Tests.Pb;

/// <summary>
/// What Scripts/pb_client.py reported, read back: one event by name, and the checks of the steps its scenarios share
/// (<c>exercise</c> runs in "calls" and "model", <c>wrong_then_right_password</c> in "login" and "modellogin"), so a
/// server speaking PB natively and one serving the object model are held to the same answers.
/// </summary>
internal static class PbClientEvents
{
    /// <summary>The one event named <paramref name="name"/>.</summary>
    public static JsonObject Event(JsonLinesProcess client, string name) =>
        client.Events.Single(e => JsonLinesProcess.EventNameOf(e) == name);

    /// <summary>
    /// The steps of <c>exercise</c> every root answers alike: the echo catalogue, big-integer add, a .NET exception as a
    /// CopiedFailure, NoSuchMethod, a callback, a child released by Python's GC, and a cacheable observed and released.
    /// </summary>
    public static void AssertExercised(JsonLinesProcess client)
    {
        Assert.Empty(Event(client, "echo")["mismatches"]!.AsArray());
        Assert.True(Event(client, "add")["value"]!.GetValue<bool>());

        var fail = Event(client, "fail");
        Assert.True(fail["raised"]!.GetValue<bool>());
        Assert.Equal("System.InvalidOperationException", fail["type"]!.GetValue<string>());
        Assert.Equal("boom ☃", fail["message"]!.GetValue<string>());
        Assert.Equal("twisted.spread.flavors.NoSuchMethod", Event(client, "missing")["type"]!.GetValue<string>());

        Assert.Equal("thanks for hello", Event(client, "callback")["answer"]!.GetValue<string>());

        var child = Event(client, "child");
        Assert.Equal("kid", child["name"]!.GetValue<string>());
        Assert.True(child["same_object"]!.GetValue<bool>());
        Assert.Equal(1, child["exported"]!.GetValue<int>());
        Assert.Equal(0, child["exported_after_release"]!.GetValue<int>());

        var cache = Event(client, "cache");
        Assert.Equal("[0,1,2,3]", cache["values"]!.ToJsonString());
        Assert.True(cache["shared_state"]!.GetValue<bool>());
        Assert.Equal(1, Event(client, "cacheReleased")["stopped"]!.GetValue<int>());
    }

    /// <summary>
    /// The first steps of both login scenarios: a wrong password refused with twisted.cred's UnauthorizedLogin, then alice
    /// logged in, her perspective reporting her name and the server having called her mind back.
    /// </summary>
    public static void AssertWrongPasswordThenLoggedIn(JsonLinesProcess client)
    {
        var refused = Event(client, "wrongPassword");
        Assert.True(refused["refused"]!.GetValue<bool>());
        Assert.Equal("twisted.cred.error.UnauthorizedLogin", refused["type"]!.GetValue<string>());
        var loggedIn = Event(client, "loggedIn");
        Assert.Equal("alice", loggedIn["whoami"]!.GetValue<string>());
        Assert.Equal("hi from the mind", loggedIn["greeting"]!.GetValue<string>());
    }
}
