// WeightPort CUDA kernels for the AWD-LSTM forward pass (eval mode).
//
// Compiled at run time by NVRTC (CudaKernelModule), so this file must not #include anything: NVRTC provides the
// device math functions (expf, tanhf) itself. It is built WITHOUT --use_fast_math: expf/tanhf are the accurate
// float32 versions (a few ulp), as in PyTorch's own CUDA kernels.
//
// Layouts (all row-major float32; see CudaLanguageModelEngine):
//   sequences on the device are time-major: element (t, b, w) of a [seq, batch, width] buffer is at (t*batch + b)*width + w,
//   so that the rows of one timestep are contiguous for the recurrent GEMM;
//   hidden and cell state per layer: [directions, batch, hidden], as PyTorch's nn.LSTM (h_n, c_n);
//   gate pre-activations are stacked i, f, g, o along the feature axis, as in PyTorch's weight_ih / weight_hh rows.
// Every kernel uses a grid-stride loop, so any grid size is correct; indices are 64-bit.

extern "C" __global__ void wp_embedding_gather(
    const int* __restrict__ tokens,   // [batch, seq], batch-major as the caller passes them
    const float* __restrict__ table,  // [vocab, emb]
    float* __restrict__ out,          // [seq, batch, emb], time-major
    int batch, int seq, int emb)
{
    long long total = (long long)batch * seq * emb;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        long long row = i / emb;               // = t * batch + b
        int e = (int)(i - row * emb);
        int t = (int)(row / batch);
        int b = (int)(row - (long long)t * batch);
        int token = tokens[(long long)b * seq + t];   // range-checked on the host before upload
        out[i] = table[(long long)token * emb + e];
    }
}

__device__ __forceinline__ float wp_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

// One LSTM timestep for every direction at once. For direction d the timestep is t (forward) or seq-1-t (reverse),
// so a bidirectional layer walks both ends inward in the same launch.
//   gates = xproj[td] + b_ih + hproj + b_hh   (i, f, g, o)
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(g);  h' = sigmoid(o) * tanh(c')
// h' replaces h (the recurrent GEMM that read h has already run on this stream) and is written to the layer output
// at (td, b) with the direction's column offset d*hidden.
extern "C" __global__ void wp_lstm_gates(
    const float* __restrict__ xproj,  // [seq, batch, xprojStride]; direction d's 4*hidden gates start at column d*4*hidden
    int xprojStride,
    const float* __restrict__ hproj,  // [directions, batch, 4*hidden] = h · W_hhᵀ
    const float* __restrict__ biasIh, // [directions, 4*hidden]
    const float* __restrict__ biasHh, // [directions, 4*hidden]
    float* __restrict__ h,            // [directions, batch, hidden], updated in place
    float* __restrict__ c,            // [directions, batch, hidden], updated in place
    float* __restrict__ out,          // [seq, batch, directions*hidden]
    int batch, int hidden, int directions, int seq, int t)
{
    long long perDirection = (long long)batch * hidden;
    long long total = perDirection * directions;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        int d = (int)(i / perDirection);
        long long r = i - d * perDirection;
        int b = (int)(r / hidden);
        int j = (int)(r - (long long)b * hidden);
        int td = d == 0 ? t : seq - 1 - t;

        const float* xp = xproj + ((long long)td * batch + b) * xprojStride + (long long)d * 4 * hidden;
        const float* hp = hproj + ((long long)d * batch + b) * 4 * hidden;
        const float* bi = biasIh + (long long)d * 4 * hidden;
        const float* bh = biasHh + (long long)d * 4 * hidden;

        // Same grouping as PyTorch's CPU LSTM cell: (x·W_ihᵀ + b_ih) + (h·W_hhᵀ + b_hh).
        float gi = (xp[j] + bi[j]) + (hp[j] + bh[j]);
        float gf = (xp[hidden + j] + bi[hidden + j]) + (hp[hidden + j] + bh[hidden + j]);
        float gg = (xp[2 * hidden + j] + bi[2 * hidden + j]) + (hp[2 * hidden + j] + bh[2 * hidden + j]);
        float go = (xp[3 * hidden + j] + bi[3 * hidden + j]) + (hp[3 * hidden + j] + bh[3 * hidden + j]);

        float ig = wp_sigmoid(gi);
        float fg = wp_sigmoid(gf);
        float cg = tanhf(gg);
        float og = wp_sigmoid(go);

        long long s = (long long)d * perDirection + (long long)b * hidden + j;
        float cn = fg * c[s] + ig * cg;
        float hn = og * tanhf(cn);
        c[s] = cn;
        h[s] = hn;
        out[((long long)td * batch + b) * directions * hidden + (long long)d * hidden + j] = hn;
    }
}

// data[r, col] += bias[col] for a [rows, cols] matrix (the decoder bias).
extern "C" __global__ void wp_add_row_bias(float* __restrict__ data, const float* __restrict__ bias, int rows, int cols)
{
    long long total = (long long)rows * cols;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        data[i] += bias[i % cols];
    }
}

// [seq, batch, width] (time-major) -> [batch, seq, width] (batch-major, what the caller expects).
extern "C" __global__ void wp_time_to_batch_major(const float* __restrict__ src, float* __restrict__ dst, int seq, int batch, int width)
{
    long long total = (long long)seq * batch * width;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        long long row = i / width;             // destination row = b * seq + t
        int w = (int)(i - row * width);
        int b = (int)(row / seq);
        int t = (int)(row - (long long)b * seq);
        dst[i] = src[((long long)t * batch + b) * width + w];
    }
}

// fastai v2 _change_one_hidden on a [directions, batch, hidden] state: the first min(old, new) rows of every direction
// are kept, rows beyond the old batch are zero.
extern "C" __global__ void wp_resize_state(const float* __restrict__ src, float* __restrict__ dst, int oldBatch, int newBatch, int hidden, int directions)
{
    long long perDirection = (long long)newBatch * hidden;
    long long total = perDirection * directions;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    {
        int d = (int)(i / perDirection);
        long long r = i - d * perDirection;
        int b = (int)(r / hidden);
        int j = (int)(r - (long long)b * hidden);
        dst[i] = b < oldBatch ? src[((long long)d * oldBatch + b) * hidden + j] : 0.0f;
    }
}
