namespace WeightPort.Fastai;

/// <summary>
/// One source name of a layout: a template with placeholders <c>{p}</c> (encoder prefix), <c>{layer}</c>, <c>{block}</c>,
/// <c>{bn}</c> and <c>{lin}</c> (module indices of a head block's BatchNorm and Linear), and the role it plays.
/// </summary>
internal readonly record struct AliasEntry(string Template, FastaiRole Role, AliasPresence Presence = AliasPresence.Required);
