using System.Globalization;
using System.Text;

namespace MLNetAttention.Data;

/// <summary>One physical line: its text, or why it could not be decoded.</summary>
internal readonly record struct RawLine(int Number, string? Text, SkipReason? Error, string? Detail);

/// <summary>
/// Splits a byte stream into lines and decodes each with a throwing UTF-8 decoder, so an invalid byte is reported
/// on its own line. A line longer than the limit is consumed without being stored.
/// </summary>
internal sealed class LineSource : IDisposable
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _stream;
    private readonly int _maxChars;
    private readonly byte[] _buf = new byte[64 * 1024];
    private byte[] _line = new byte[1024];
    private int _pos, _len, _lineLen, _lineNo;
    private bool _eof, _started;

    public LineSource(Stream stream, string displayPath, int maxChars)
    {
        _stream = stream;
        DisplayPath = displayPath;
        _maxChars = maxChars > 0 ? maxChars : int.MaxValue;
    }

    public string DisplayPath { get; }

    public static LineSource Open(string path, int maxChars)
    {
        DataReaders.EnsureFile(path);
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        return new LineSource(fs, path, maxChars);
    }

    private bool Fill()
    {
        if (_eof) return false;
        _len = _stream.Read(_buf, 0, _buf.Length);
        _pos = 0;
        if (_len == 0) { _eof = true; return false; }
        if (!_started)
        {
            _started = true;
            if (_len >= 3 && _buf[0] == 0xEF && _buf[1] == 0xBB && _buf[2] == 0xBF) _pos = 3;
        }
        return true;
    }

    public bool TryRead(out RawLine line)
    {
        line = default;
        if (_pos >= _len && !Fill()) return false;
        _lineLen = 0;
        long chars = 0;
        bool tooLong = false;
        while (true)
        {
            if (_pos >= _len && !Fill()) break;
            int nl = _buf.AsSpan(_pos, _len - _pos).IndexOf((byte)'\n');
            int end = nl < 0 ? _len : _pos + nl;
            if (!tooLong)
            {
                var chunk = _buf.AsSpan(_pos, end - _pos);
                foreach (byte b in chunk)
                    if ((b & 0xC0) != 0x80) chars += b >= 0xF0 ? 2 : 1;
                if (chars > _maxChars + 1) // +1 tolerates the '\r' of a CRLF line
                {
                    tooLong = true;
                    _lineLen = 0;
                }
                else
                {
                    if (_lineLen + chunk.Length > _line.Length)
                        Array.Resize(ref _line, Math.Max(_line.Length * 2, _lineLen + chunk.Length));
                    chunk.CopyTo(_line.AsSpan(_lineLen));
                    _lineLen += chunk.Length;
                }
            }
            if (nl >= 0) { _pos = end + 1; break; }
            _pos = _len;
        }
        _lineNo++;
        if (tooLong)
        {
            line = new RawLine(_lineNo, null, SkipReason.LineTooLong,
                string.Create(CultureInfo.InvariantCulture, $"line is longer than MaxLineLength ({_maxChars:N0} characters)"));
            return true;
        }
        int n = _lineLen;
        if (n > 0 && _line[n - 1] == (byte)'\r') { n--; chars--; }
        if (chars > _maxChars)
        {
            line = new RawLine(_lineNo, null, SkipReason.LineTooLong,
                string.Create(CultureInfo.InvariantCulture, $"line is longer than MaxLineLength ({_maxChars:N0} characters)"));
            return true;
        }
        try
        {
            line = new RawLine(_lineNo, Strict.GetString(_line, 0, n), null, null);
        }
        catch (DecoderFallbackException e)
        {
            string bytes = e.BytesUnknown is { Length: > 0 } u ? string.Join(" ", u.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture))) : "?";
            line = new RawLine(_lineNo, null, SkipReason.InvalidUtf8,
                string.Create(CultureInfo.InvariantCulture, $"invalid UTF-8 byte {bytes} at byte {Math.Max(0, e.Index)} of the line"));
        }
        return true;
    }

    public void Dispose() => _stream.Dispose();
}
