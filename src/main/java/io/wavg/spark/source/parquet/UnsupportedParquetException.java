package io.wavg.spark.source.parquet;

/** A Parquet file this source cannot read, said with the file and the column. */
public final class UnsupportedParquetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UnsupportedParquetException(String file, String column, String problem) {
        super("wavg_parquet: column '" + column + "' in " + file + " " + problem);
    }

    public UnsupportedParquetException(String file, String column, String problem, Throwable cause) {
        super("wavg_parquet: column '" + column + "' in " + file + " " + problem, cause);
    }
}
