using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WeightPort.Formats.Pickle;
using Xunit;

namespace WeightPort.Tests.Formats.Pickle;

/// <summary>
/// Property test: random nested values, described as JSON, are built and pickled by CPython at protocols 0 to 5 and must
/// read back equal. The generator is seeded so a failure reproduces.
/// </summary>
[Trait("Category", "Slow")]
public sealed class PickleRoundTripTests
{
    private const string BuildAndPickle = """
import sys, json, pickle, base64, struct
def f(bits): return struct.unpack('<d', struct.pack('<q', int(bits)))[0]
def build(d):
    t = d['t']
    if t == 'none': return None
    if t == 'bool': return d['v']
    if t == 'int': return int(d['v'])
    if t == 'float': return f(d['v'])
    if t == 'complex': return complex(f(d['re']), f(d['im']))
    if t == 'str': return d['v']
    if t == 'bytes': return base64.b64decode(d['v'])
    if t == 'bytearray': return bytearray(base64.b64decode(d['v']))
    if t == 'tuple': return tuple(build(x) for x in d['v'])
    if t == 'list': return [build(x) for x in d['v']]
    if t == 'dict': return {build(k): build(v) for k, v in d['v']}
    if t == 'set': return set(build(x) for x in d['v'])
    if t == 'frozenset': return frozenset(build(x) for x in d['v'])
    raise ValueError(t)
cases = json.load(sys.stdin)
print(json.dumps([[base64.b64encode(pickle.dumps(build(c), protocol=p)).decode() for p in range(6)] for c in cases]))
""";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_RandomValuesPickledByCPython_AllProtocols_ReadBackEqual(int seed)
    {
        var gen = new ValueGenerator(seed);
        var cases = new JsonArray();
        for (int i = 0; i < 150; i++) cases.Add(gen.Value(0));
        var pickles = JsonSerializer.Deserialize<string[][]>(Python.Run(BuildAndPickle, cases.ToJsonString()))!;
        Assert.Equal(cases.Count, pickles.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            for (int protocol = 0; protocol <= 5; protocol++)
            {
                var bytes = Convert.FromBase64String(pickles[i][protocol]);
                var value = PickleReader.Read(bytes, $"case {i} protocol {protocol}");
                try
                {
                    AssertEqual(cases[i]!, value);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"seed {seed}, case {i}, protocol {protocol}: {cases[i]!.ToJsonString()}\n{e.Message}");
                }
            }
        }
    }

    [Fact]
    public void Read_IntegerBoundaries_AllProtocols_Exact()
    {
        string[] values =
        [
            "0", "1", "-1", "255", "256", "-129", "65535", "65536", "2147483647", "-2147483648", "2147483648", "-2147483649",
            "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
            "340282366920938463463374607431768211456", "-" + BigInteger.Pow(2, 2100).ToString(CultureInfo.InvariantCulture),
        ];
        var cases = new JsonArray([.. values.Select(v => (JsonNode)new JsonObject { ["t"] = "int", ["v"] = v })]);
        var pickles = JsonSerializer.Deserialize<string[][]>(Python.Run(BuildAndPickle, cases.ToJsonString()))!;
        for (int i = 0; i < values.Length; i++)
            for (int p = 0; p <= 5; p++)
                Assert.Equal(BigInteger.Parse(values[i], CultureInfo.InvariantCulture), Assert.IsType<PickleInt>(PickleReader.Read(Convert.FromBase64String(pickles[i][p]))).Value);
    }

    [Fact]
    public void Read_SharedListPickledByCPython_StaysOneObject()
    {
        for (int p = 0; p <= 5; p++)
        {
            var bytes = Python.Bytes($"import pickle,base64; a=[1,'x']; d={{}}; print(base64.b64encode(pickle.dumps([a, a, d, d], protocol={p})).decode())");
            var list = Assert.IsType<PickleList>(PickleReader.Read(bytes));
            Assert.Same(list.Items[0], list.Items[1]);
            Assert.Same(list.Items[2], list.Items[3]);
        }
    }

    [Fact]
    public void Read_SelfReferencingListPickledByCPython_HoldsItself()
    {
        for (int p = 0; p <= 5; p++)
        {
            var bytes = Python.Bytes($"import pickle,base64; a=[]; a.append(a); print(base64.b64encode(pickle.dumps(a, protocol={p})).decode())");
            var list = Assert.IsType<PickleList>(PickleReader.Read(bytes));
            Assert.Same(list, list.Items[0]);
        }
    }

    private static void AssertEqual(JsonNode d, PickleValue v)
    {
        string t = d["t"]!.GetValue<string>();
        switch (t)
        {
            case "none": Assert.IsType<PickleNone>(v); break;
            case "bool": Assert.Equal(d["v"]!.GetValue<bool>(), Assert.IsType<PickleBool>(v).Value); break;
            case "int": Assert.Equal(BigInteger.Parse(d["v"]!.GetValue<string>(), CultureInfo.InvariantCulture), Assert.IsType<PickleInt>(v).Value); break;
            case "float": Assert.Equal(long.Parse(d["v"]!.GetValue<string>(), CultureInfo.InvariantCulture), BitConverter.DoubleToInt64Bits(Assert.IsType<PickleFloat>(v).Value)); break;
            case "complex":
                var c = Assert.IsType<PickleComplex>(v);
                Assert.Equal(long.Parse(d["re"]!.GetValue<string>(), CultureInfo.InvariantCulture), BitConverter.DoubleToInt64Bits(c.Real));
                Assert.Equal(long.Parse(d["im"]!.GetValue<string>(), CultureInfo.InvariantCulture), BitConverter.DoubleToInt64Bits(c.Imaginary));
                break;
            case "str": Assert.Equal(d["v"]!.GetValue<string>(), Assert.IsType<PickleString>(v).Value); break;
            case "bytes" or "bytearray":
                var b = Assert.IsType<PickleBytes>(v);
                Assert.Equal(t == "bytearray", b.IsByteArray);
                Assert.Equal(Convert.FromBase64String(d["v"]!.GetValue<string>()), b.Value.ToArray());
                break;
            case "tuple" or "list":
                var items = d["v"]!.AsArray();
                IReadOnlyList<PickleValue> actual = t == "tuple" ? Assert.IsType<PickleTuple>(v).Items : Assert.IsType<PickleList>(v).Items;
                Assert.Equal(items.Count, actual.Count);
                for (int i = 0; i < items.Count; i++) AssertEqual(items[i]!, actual[i]);
                break;
            case "dict":
                var pairs = d["v"]!.AsArray();
                var dict = Assert.IsType<PickleDict>(v);
                Assert.Equal(pairs.Count, dict.Items.Count);
                for (int i = 0; i < pairs.Count; i++)
                {
                    AssertEqual(pairs[i]![0]!, dict.Items[i].Key);
                    AssertEqual(pairs[i]![1]!, dict.Items[i].Value);
                }
                break;
            case "set" or "frozenset":
                var set = Assert.IsType<PickleSet>(v);
                Assert.Equal(t == "frozenset", set.IsFrozen);
                // Set order is CPython's hash order: compare as sets of scalar texts.
                var expected = d["v"]!.AsArray().Select(x => ScalarText(x!)).Order(StringComparer.Ordinal);
                var got = set.Items.Select(ScalarText).Order(StringComparer.Ordinal);
                Assert.Equal(expected, got);
                break;
            default:
                throw new InvalidOperationException(t);
        }
    }

    private static string ScalarText(JsonNode d) => d["t"]!.GetValue<string>() + ":" + d["v"]!.ToJsonString();

    private static string ScalarText(PickleValue v) => v switch
    {
        PickleInt i => "int:" + JsonSerializer.Serialize(i.Value.ToString(CultureInfo.InvariantCulture)),
        PickleString s => "str:" + JsonSerializer.Serialize(s.Value),
        _ => "?" + v.TypeName,
    };

    /// <summary>Seeded generator of JSON value descriptions.</summary>
    private sealed class ValueGenerator(int seed)
    {
        private readonly Random _rng = new(seed);

        public JsonNode Value(int depth)
        {
            int kinds = depth >= 4 ? 9 : 15;
            return _rng.Next(kinds) switch
            {
                0 => new JsonObject { ["t"] = "none" },
                1 => new JsonObject { ["t"] = "bool", ["v"] = _rng.Next(2) == 1 },
                2 or 3 => Int(),
                4 => new JsonObject { ["t"] = "float", ["v"] = FloatBits() },
                5 or 6 => Str(),
                7 => new JsonObject { ["t"] = "bytes", ["v"] = Convert.ToBase64String(Bytes()) },
                8 => _rng.Next(2) == 0
                    ? new JsonObject { ["t"] = "bytearray", ["v"] = Convert.ToBase64String(Bytes()) }
                    : new JsonObject { ["t"] = "complex", ["re"] = FloatBits(), ["im"] = FloatBits() },
                9 => Seq("tuple", depth, _rng.Next(6)),
                10 or 11 => Seq("list", depth, _rng.Next(_rng.Next(4) == 0 ? 1500 : 6)),
                12 or 13 => Dict(depth),
                _ => Set(),
            };
        }

        private JsonObject Int()
        {
            BigInteger v = _rng.Next(6) switch
            {
                0 => _rng.Next(256),
                1 => _rng.Next(-70000, 70000),
                2 => _rng.NextInt64(),
                3 => -_rng.NextInt64(),
                4 => BigInteger.Pow(2, _rng.Next(60, 300)) * (_rng.Next(2) == 0 ? 1 : -1) + _rng.Next(-5, 5),
                _ => int.MinValue + (long)_rng.Next(3) - 1,
            };
            return new JsonObject { ["t"] = "int", ["v"] = v.ToString(CultureInfo.InvariantCulture) };
        }

        private string FloatBits()
        {
            double d = _rng.Next(8) switch
            {
                0 => 0.0,
                1 => -0.0,
                2 => double.PositiveInfinity,
                3 => double.NegativeInfinity,
                4 => double.Epsilon,
                5 => _rng.NextDouble() * 1e300,
                _ => (_rng.NextDouble() - 0.5) * Math.Pow(10, _rng.Next(-20, 20)),
            };
            return BitConverter.DoubleToInt64Bits(d).ToString(CultureInfo.InvariantCulture);
        }

        private JsonObject Str() => new() { ["t"] = "str", ["v"] = Text() };

        private string Text()
        {
            int n = _rng.Next(4) == 0 ? _rng.Next(200, 700) : _rng.Next(12);
            var sb = new StringBuilder();
            string specials = "\\\n\r\t\0'\"\u00e6\u00f8\u00e5\u20ac\u00ff\u0100";
            for (int i = 0; i < n; i++)
            {
                switch (_rng.Next(10))
                {
                    case 0: sb.Append(specials[_rng.Next(specials.Length)]); break;
                    case 1: sb.Append(char.ConvertFromUtf32(_rng.Next(0x1F600, 0x1F64F))); break;
                    case 2: sb.Append((char)_rng.Next(0x400, 0x4FF)); break;
                    default: sb.Append((char)_rng.Next(0x20, 0x7F)); break;
                }
            }
            return sb.ToString();
        }

        private byte[] Bytes()
        {
            var b = new byte[_rng.Next(4) == 0 ? _rng.Next(256, 600) : _rng.Next(10)];
            _rng.NextBytes(b);
            return b;
        }

        private JsonObject Seq(string type, int depth, int count)
        {
            var items = new JsonArray();
            for (int i = 0; i < count; i++) items.Add(count > 50 ? Int() : Value(depth + 1));
            return new JsonObject { ["t"] = type, ["v"] = items };
        }

        private JsonObject Dict(int depth)
        {
            var pairs = new JsonArray();
            var keys = new HashSet<string>();
            int n = _rng.Next(7);
            for (int i = 0; i < n; i++)
            {
                JsonObject key = _rng.Next(3) == 0 ? Int() : Str();
                if (!keys.Add(key.ToJsonString())) continue;
                pairs.Add(new JsonArray(key, Value(depth + 1)));
            }
            return new JsonObject { ["t"] = "dict", ["v"] = pairs };
        }

        private JsonObject Set()
        {
            var items = new JsonArray();
            var seen = new HashSet<string>();
            int n = _rng.Next(6);
            for (int i = 0; i < n; i++)
            {
                JsonObject item = _rng.Next(2) == 0 ? Int() : Str();
                if (seen.Add(item.ToJsonString())) items.Add(item);
            }
            return new JsonObject { ["t"] = _rng.Next(2) == 0 ? "set" : "frozenset", ["v"] = items };
        }
    }
}
