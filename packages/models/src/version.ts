/** The library version written into artifacts. */
export const VERSION = '0.1.0';
