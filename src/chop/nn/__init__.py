"""Neural-network building blocks: number formats (`chop.nn.quantizers`) and quantized modules
(`chop.nn.quantized`)."""
