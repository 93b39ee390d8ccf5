// Compiled by MSBuild's RoslynCodeTaskFactory from WeightPort.TorchSharp.targets (and by the tests); not part of the
// WeightPort.TorchSharp assembly.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// Lets TorchSharp 0.107's <c>libLibTorchSharp.so</c> load on a system whose libstdc++ predates a GLIBCXX version the
/// library names but never binds (0.107 needs <c>GLIBCXX_3.4.32</c> only for <c>_ZSt21ios_base_library_initv</c>,
/// which no relocation uses; Debian 12's libstdc++ stops at 3.4.30). For every GLIBCXX version the library needs and
/// the system lacks, it sets <c>VER_FLG_WEAK</c> in the matching <c>Vernaux</c> entry of <c>.gnu.version_r</c>, so
/// that the dynamic loader accepts the missing version. It refuses when any relocation refers to a symbol of such a
/// version (the library would then really need it), and it only ever rewrites the build-output copy, by writing a new
/// file and renaming it over the old one (a hard link into the NuGet cache stays untouched).
/// </summary>
public class PatchGlibcxxVersionNeed : Microsoft.Build.Utilities.Task
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>The libraries to patch (normally every <c>libLibTorchSharp.so</c> under the output folder).</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>The libstdc++ to compare with; empty: the first of the usual system locations.</summary>
    public string? LibStdCxx { get; set; }

    /// <summary>The libraries rewritten by this run.</summary>
    [Output]
    public ITaskItem[] Patched { get; set; } = Array.Empty<ITaskItem>();

    /// <inheritdoc />
    public override bool Execute()
    {
        string? system = string.IsNullOrEmpty(LibStdCxx) ? FindSystemLibStdCxx() : LibStdCxx;
        if (system is null || !File.Exists(system))
        {
            Log.LogMessage(MessageImportance.Low, "WeightPort.TorchSharp: no system libstdc++.so.6 found; libLibTorchSharp.so left as it is");
            return true;
        }
        var patched = new List<ITaskItem>();
        foreach (var item in Files)
        {
            string path = item.ItemSpec;
            string message;
            try
            {
                var missing = MissingGlibcxxVersions(File.ReadAllBytes(path), File.ReadAllBytes(system));
                if (missing.Count == 0)
                {
                    Log.LogMessage(MessageImportance.Low, $"WeightPort.TorchSharp: '{system}' provides every GLIBCXX version '{path}' needs");
                    continue;
                }
                if (PatchFile(path, missing, out message)) patched.Add(item);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                message = $"could not patch '{path}': {e.Message}";
                Log.LogWarning(null, "WPTS001", null, path, 0, 0, 0, 0, "WeightPort.TorchSharp: {0}", message);
                continue;
            }
            Log.LogMessage(MessageImportance.Normal, "WeightPort.TorchSharp: {0}", message);
        }
        Patched = patched.ToArray();
        return !Log.HasLoggedErrors;
    }

    /// <summary>The usual locations of the system's libstdc++.so.6, first existing one.</summary>
    public static string? FindSystemLibStdCxx()
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>The GLIBCXX versions that <paramref name="library"/> needs from libstdc++ and <paramref name="libStdCxx"/> does not define.</summary>
    public static List<string> MissingGlibcxxVersions(byte[] library, byte[] libStdCxx)
    {
        var missing = new List<string>();
        foreach (var need in ReadNeeds(library))
        {
            if (!need.Name.StartsWith("GLIBCXX_", StringComparison.Ordinal) || missing.Contains(need.Name)) continue;
            if (!DefinesName(libStdCxx, need.Name)) missing.Add(need.Name);
        }
        return missing;
    }

    /// <summary>
    /// Marks <paramref name="versions"/> weak in <paramref name="path"/>. Returns false (and says why) when a version is
    /// not needed, or when a relocation uses a symbol of that version; true when the file was rewritten or already weak.
    /// </summary>
    public static bool PatchFile(string path, IReadOnlyCollection<string> versions, out string message)
    {
        byte[] elf = File.ReadAllBytes(path);
        var needs = ReadNeeds(elf).Where(n => versions.Contains(n.Name)).ToList();
        var absent = versions.Where(v => needs.All(n => n.Name != v)).ToList();
        if (absent.Count > 0)
        {
            message = $"'{path}' does not need {string.Join(", ", absent)}; nothing patched";
            return false;
        }
        var used = RelocatedVersionIndices(elf);
        var bound = needs.Where(n => used.Contains(n.Index)).Select(n => n.Name).Distinct().ToList();
        if (bound.Count > 0)
        {
            message = $"'{path}' binds symbols of {string.Join(", ", bound)}, which this system's libstdc++ lacks; not patched (a newer libstdc++ is needed)";
            return false;
        }
        if (needs.All(n => (n.Flags & VerFlgWeak) != 0))
        {
            message = $"'{path}': {string.Join(", ", versions)} already weak";
            return true;
        }
        foreach (var n in needs) WriteU16(elf, n.FlagsOffset, (ushort)(n.Flags | VerFlgWeak));
        string temp = path + ".weightport-tmp";
        File.WriteAllBytes(temp, elf);
        // Unlink, then rename: when the output is a hard link into the NuGet cache, only the link goes.
        File.Delete(path);
        File.Move(temp, path);
        message = $"marked {string.Join(", ", versions)} weak in '{path}' (this system's libstdc++ lacks it and no relocation uses it)";
        return true;
    }

    /// <summary>Every version need of the file: name, flags, the version index (<c>vna_other</c>) and where the flags are.</summary>
    public static List<(string Name, ushort Flags, ushort Index, int FlagsOffset)> ReadNeeds(byte[] elf)
    {
        var result = new List<(string, ushort, ushort, int)>();
        var sections = Sections(elf);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            long strtab = sections[(int)s.Link].Offset;
            long pos = s.Offset;
            for (uint i = 0; i < s.Info; i++)
            {
                ushort count = ReadU16(elf, pos + 2);
                long aux = pos + ReadU32(elf, pos + 8);
                for (int j = 0; j < count; j++)
                {
                    ushort flags = ReadU16(elf, aux + 4);
                    ushort index = ReadU16(elf, aux + 6);
                    string name = ReadString(elf, strtab + ReadU32(elf, aux + 8));
                    result.Add((name, flags, index, checked((int)(aux + 4))));
                    uint next = ReadU32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                uint nextNeed = ReadU32(elf, pos + 12);
                if (nextNeed == 0) break;
                pos += nextNeed;
            }
        }
        return result;
    }

    /// <summary>The version indices (<c>.gnu.version</c> values) of every dynamic symbol that a relocation refers to.</summary>
    public static HashSet<ushort> RelocatedVersionIndices(byte[] elf)
    {
        var sections = Sections(elf);
        var used = new HashSet<ushort>();
        int dynsym = sections.FindIndex(s => s.Type == ShtDynsym);
        int versym = sections.FindIndex(s => s.Type == ShtGnuVersym);
        if (dynsym < 0 || versym < 0) return used;
        long symbols = sections[dynsym].Size / 24;
        foreach (var s in sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && s.Link == dynsym))
        {
            long entry = s.Type == ShtRela ? 24 : 16;
            for (long r = 0; r < s.Size / entry; r++)
            {
                ulong info = ReadU64(elf, s.Offset + r * entry + 8);
                long sym = (long)(info >> 32);
                if (sym == 0 || sym >= symbols) continue;
                used.Add((ushort)(ReadU16(elf, sections[versym].Offset + sym * 2) & 0x7fff));
            }
        }
        return used;
    }

    private static List<(uint Type, long Offset, long Size, uint Link, uint Info)> Sections(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        long shoff = (long)ReadU64(elf, 0x28);
        ushort shentsize = ReadU16(elf, 0x3a);
        ushort shnum = ReadU16(elf, 0x3c);
        if (shentsize < 64 || shoff <= 0 || shoff + (long)shnum * shentsize > elf.Length)
            throw new InvalidDataException("section headers lie outside the file");
        var list = new List<(uint, long, long, uint, uint)>(shnum);
        for (int i = 0; i < shnum; i++)
        {
            long h = shoff + (long)i * shentsize;
            long offset = (long)ReadU64(elf, h + 24), size = (long)ReadU64(elf, h + 32);
            uint type = ReadU32(elf, h + 4);
            if (type != 8 && (offset < 0 || size < 0 || offset + size > elf.Length))
                throw new InvalidDataException($"section {i} lies outside the file");
            list.Add((type, offset, size, ReadU32(elf, h + 40), ReadU32(elf, h + 44)));
        }
        return list;
    }

    private static bool DefinesName(byte[] library, string name)
    {
        // The version name appears NUL-terminated on both sides in .dynstr when the library defines (or needs) it.
        byte[] needle = Encoding.ASCII.GetBytes("\0" + name + "\0");
        for (int i = 0; i + needle.Length <= library.Length; i++)
        {
            if (library[i] != 0 || library[i + 1] != needle[1]) continue;
            int k = 2;
            while (k < needle.Length && library[i + k] == needle[k]) k++;
            if (k == needle.Length) return true;
        }
        return false;
    }

    private static string ReadString(byte[] b, long offset)
    {
        int start = checked((int)offset);
        int end = Array.IndexOf(b, (byte)0, start);
        if (end < 0) throw new InvalidDataException("unterminated string");
        return Encoding.ASCII.GetString(b, start, end - start);
    }

    private static ushort ReadU16(byte[] b, long o) => Check(b, o, 2) ? BitConverter.ToUInt16(b, (int)o) : (ushort)0;
    private static uint ReadU32(byte[] b, long o) => Check(b, o, 4) ? BitConverter.ToUInt32(b, (int)o) : 0;
    private static ulong ReadU64(byte[] b, long o) => Check(b, o, 8) ? BitConverter.ToUInt64(b, (int)o) : 0;

    private static void WriteU16(byte[] b, int o, ushort v)
    {
        b[o] = (byte)v;
        b[o + 1] = (byte)(v >> 8);
    }

    private static bool Check(byte[] b, long o, int n) =>
        o >= 0 && o + n <= b.Length ? true : throw new InvalidDataException($"offset {o} lies outside the file");
}
