namespace Tether.Liveness;

/// <summary>Smoothed round-trip time and variance from PING/PONG samples, as TCP computes SRTT (RFC 6298).</summary>
internal struct RttEstimator
{
    private double _srttSeconds;
    private double _rttVarSeconds;

    public int Samples { get; private set; }

    public readonly TimeSpan? Smoothed => Samples == 0 ? null : TimeSpan.FromSeconds(_srttSeconds);

    public readonly TimeSpan? Variance => Samples == 0 ? null : TimeSpan.FromSeconds(_rttVarSeconds);

    public TimeSpan Max { get; private set; }

    public void Add(TimeSpan sample)
    {
        var r = Math.Max(0, sample.TotalSeconds);
        if (Samples == 0)
        {
            _srttSeconds = r;
            _rttVarSeconds = r / 2;
        }
        else
        {
            _rttVarSeconds = (0.75 * _rttVarSeconds) + (0.25 * Math.Abs(_srttSeconds - r));
            _srttSeconds = (0.875 * _srttSeconds) + (0.125 * r);
        }

        if (sample > Max)
        {
            Max = sample;
        }

        Samples++;
    }
}
