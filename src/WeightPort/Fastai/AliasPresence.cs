namespace WeightPort.Fastai;

/// <summary>Whether a source name of an alias table must be present in a checkpoint of that layout.</summary>
internal enum AliasPresence
{
    /// <summary>Missing ⇒ the checkpoint does not have the layout.</summary>
    Required,
    /// <summary>May be absent (an optional alias, a bias the model was built without, a counter older PyTorch did not save).</summary>
    Optional,
}
