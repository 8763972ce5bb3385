// Importing this module registers every built-in source kind (for worker threads).
import './arrow.js';
import './parquet.js';
import './text.js';
import './synthetic.js';
