using System.Globalization;
using System.Numerics;
using System.Text.Json;
using WeightPort.Formats.Pickle;
using WeightPort.Tensors;
using Xunit;

namespace WeightPort.Tests.Conformance;

/// <summary>
/// Compares a <see cref="PickleValue"/> tree with the value EXPECTED.json records for what PyTorch returns:
/// <c>{"tensor": {...}}</c>, <c>{"dict": [[k, v], …]}</c>, <c>{"list": […]}</c>, <c>{"tuple": […]}</c> and JSON scalars.
/// Storage groups are checked both ways: same group ⇔ same <see cref="TensorStorage"/> object.
/// </summary>
internal sealed class ExpectedTree
{
    private readonly Dictionary<int, TensorStorage> _groupToStorage = [];
    private readonly Dictionary<TensorStorage, int> _storageToGroup = new(ReferenceEqualityComparer.Instance);

    /// <summary>Dotted paths of the expected tensors, in order.</summary>
    public List<string> TensorPaths { get; } = [];

    public int TensorCount { get; private set; }

    public void Compare(JsonElement expected, PickleValue actual, string path)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Null:
                Assert.IsType<PickleNone>(actual);
                return;
            case JsonValueKind.True or JsonValueKind.False:
                Assert.Equal(expected.GetBoolean(), Assert.IsType<PickleBool>(actual).Value);
                return;
            case JsonValueKind.String:
                Assert.Equal(expected.GetString(), Assert.IsType<PickleString>(actual).Value);
                return;
            case JsonValueKind.Number:
                string raw = expected.GetRawText();
                if (raw.IndexOfAny(['.', 'e', 'E']) >= 0)
                    Assert.Equal(expected.GetDouble(), Assert.IsType<PickleFloat>(actual).Value);
                else
                    Assert.Equal(BigInteger.Parse(raw, CultureInfo.InvariantCulture), Assert.IsType<PickleInt>(actual).Value);
                return;
            case JsonValueKind.Object:
                break;
            default:
                throw new InvalidOperationException($"unexpected JSON {expected.ValueKind} at '{path}'");
        }
        var prop = expected.EnumerateObject().Single();
        switch (prop.Name)
        {
            case "tensor":
                CompareTensor(prop.Value, Assert.IsType<PickleTensor>(actual), path);
                return;
            case "dict":
                {
                    var dict = Assert.IsType<PickleDict>(actual);
                    var pairs = prop.Value.EnumerateArray().ToList();
                    Assert.True(pairs.Count == dict.Items.Count, $"'{path}': {pairs.Count} keys expected, {dict.Items.Count} read");
                    for (int i = 0; i < pairs.Count; i++)
                    {
                        var key = pairs[i][0];
                        Compare(key, dict.Items[i].Key, path + "<key>");
                        string keyText = key.ValueKind == JsonValueKind.String ? key.GetString()! : key.GetRawText();
                        Compare(pairs[i][1], dict.Items[i].Value, Join(path, keyText));
                    }
                    return;
                }
            case "list" or "tuple":
                {
                    IReadOnlyList<PickleValue> items = prop.Name == "list" ? Assert.IsType<PickleList>(actual).Items : Assert.IsType<PickleTuple>(actual).Items;
                    var expectedItems = prop.Value.EnumerateArray().ToList();
                    Assert.True(expectedItems.Count == items.Count, $"'{path}': {expectedItems.Count} items expected, {items.Count} read");
                    for (int i = 0; i < items.Count; i++) Compare(expectedItems[i], items[i], Join(path, i.ToString(CultureInfo.InvariantCulture)));
                    return;
                }
            default:
                throw new InvalidOperationException($"unknown expected node '{prop.Name}' at '{path}'");
        }
    }

    private void CompareTensor(JsonElement e, PickleTensor actual, string path)
    {
        TensorPaths.Add(path);
        TensorCount++;
        var t = actual.Tensor;
        string where = $"tensor '{path}'";
        Assert.True(e.GetProperty("dtype").GetString() == t.DType.TorchName(), $"{where}: dtype {t.DType.TorchName()}");
        Assert.Equal(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), t.Shape);
        Assert.Equal(e.GetProperty("stride").EnumerateArray().Select(x => x.GetInt64()), t.Stride);
        Assert.Equal(e.GetProperty("storage_offset").GetInt64(), t.StorageOffset);
        int group = e.GetProperty("storage_group").GetInt32();
        if (_groupToStorage.TryGetValue(group, out var s)) Assert.True(ReferenceEquals(s, t.Storage), $"{where}: storage group {group} should share a storage object");
        else _groupToStorage[group] = t.Storage;
        if (_storageToGroup.TryGetValue(t.Storage, out int g)) Assert.True(g == group, $"{where}: shares a storage with group {g} but expects group {group}");
        else _storageToGroup[t.Storage] = group;
        Assert.Equal(e.GetProperty("sha256").GetString(), t.Sha256Hex());
        var first = e.GetProperty("first").EnumerateArray().ToList();
        var bytes = t.ToByteArray();
        for (int i = 0; i < first.Count; i++)
        {
            double actualValue = Element(t.DType, bytes, i);
            double expectedValue = first[i].ValueKind switch
            {
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                _ => first[i].GetDouble(),
            };
            Assert.True(expectedValue.Equals(actualValue), $"{where}: element {i} is {actualValue}, {expectedValue} expected");
        }
    }

    private static double Element(DType dtype, byte[] bytes, int i)
    {
        var s = bytes.AsSpan(i * dtype.ElementSize());
        return dtype switch
        {
            DType.Float32 => BitConverter.ToSingle(s),
            DType.Float64 => BitConverter.ToDouble(s),
            DType.Float16 => (double)BitConverter.ToHalf(s),
            DType.BFloat16 => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(s) << 16),
            DType.Int64 => BitConverter.ToInt64(s),
            DType.Int32 => BitConverter.ToInt32(s),
            DType.Int16 => BitConverter.ToInt16(s),
            DType.Int8 => (sbyte)s[0],
            DType.UInt8 or DType.Bool => s[0],
            _ => throw new NotSupportedException(dtype.ToString()),
        };
    }

    private static string Join(string parent, string key) => parent.Length == 0 ? key : parent + "." + key;
}
