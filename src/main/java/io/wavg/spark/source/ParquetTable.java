package io.wavg.spark.source;

import java.util.EnumSet;
import java.util.Set;

import org.apache.spark.sql.connector.catalog.SupportsRead;
import org.apache.spark.sql.connector.catalog.TableCapability;
import org.apache.spark.sql.connector.read.ScanBuilder;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.sql.util.CaseInsensitiveStringMap;

/** A set of Parquet files with one schema, readable in batches. */
public final class ParquetTable implements SupportsRead {
    private final ParquetFiles files;

    ParquetTable(ParquetFiles files) {
        this.files = files;
    }

    public ParquetFiles files() {
        return files;
    }

    @Override
    public String name() {
        return files.name() + " " + files.location();
    }

    @Override
    public StructType schema() {
        return files.schema();
    }

    @Override
    public Set<TableCapability> capabilities() {
        return EnumSet.of(TableCapability.BATCH_READ);
    }

    @Override
    public ScanBuilder newScanBuilder(CaseInsensitiveStringMap options) {
        return new ParquetScanBuilder(files);
    }
}
