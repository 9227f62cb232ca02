//! The Parquet column reader against the `parquet` crate, on files that crate writes in every
//! layout a vocabulary may have (required or optional, dictionary or plain, pages v1 or v2,
//! uncompressed or Snappy, several row groups and pages), and on damaged files.

use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::{WriterProperties, WriterVersion};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;

use crate::parquet_column::strings;

/// The reference: every value of `column` through the `parquet` crate's row reader.
fn reference(file: &[u8], column: &str) -> Vec<String> {
    let reader = SerializedFileReader::new(bytes::Bytes::from(file.to_vec())).unwrap();
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let index = (0..schema.num_columns()).find(|&i| schema.column(i).name() == column).unwrap();
    let projection = schema.root_schema().get_fields()[index].clone();
    let projected =
        parquet::schema::types::Type::group_type_builder("schema").with_fields(vec![projection]).build().unwrap();
    reader
        .get_row_iter(Some(projected))
        .unwrap()
        .map(|row| parquet::record::RowAccessor::get_string(&row.unwrap(), 0).unwrap().clone())
        .collect()
}

/// Words like a vocabulary's: frequent short ones repeated, punctuation, accents, spaces.
fn words(n: usize) -> Vec<String> {
    let stems = ["the", ",", "king", "queen", "café", "'s", "new york", "naïve", "日本", ""];
    (0..n)
        .map(|i| if i % 3 == 0 { stems[i % stems.len()].to_owned() } else { format!("{}{i}", stems[i % 7]) })
        .collect()
}

struct Layout {
    optional: bool,
    dictionary: bool,
    v2: bool,
    snappy: bool,
}

/// A file of two columns (`id`, then `word`) in three row groups, written by the `parquet` crate.
fn written(values: &[String], layout: &Layout) -> Vec<u8> {
    let repetition = if layout.optional { "OPTIONAL" } else { "REQUIRED" };
    let schema = format!("message schema {{ REQUIRED INT32 id; {repetition} BYTE_ARRAY word (UTF8); }}");
    let schema = Arc::new(parquet::schema::parser::parse_message_type(&schema).unwrap());
    let properties = WriterProperties::builder()
        .set_writer_version(if layout.v2 { WriterVersion::PARQUET_2_0 } else { WriterVersion::PARQUET_1_0 })
        .set_compression(if layout.snappy { Compression::SNAPPY } else { Compression::UNCOMPRESSED })
        .set_dictionary_enabled(layout.dictionary)
        // Small pages, and a dictionary that fills up so the chunk falls back to plain values.
        .set_write_batch_size(64)
        .set_data_page_row_count_limit(300)
        .set_dictionary_page_size_limit(2_000)
        .build();
    let mut writer = SerializedFileWriter::new(Vec::new(), schema, Arc::new(properties)).unwrap();
    for (group, chunk) in values.chunks(values.len().div_ceil(3)).enumerate() {
        let mut rows = writer.next_row_group().unwrap();
        let mut ids = rows.next_column().unwrap().unwrap();
        let numbers: Vec<i32> = (0..chunk.len() as i32).map(|i| i + group as i32 * 10_000).collect();
        ids.typed::<parquet::data_type::Int32Type>().write_batch(&numbers, None, None).unwrap();
        ids.close().unwrap();
        let mut column = rows.next_column().unwrap().unwrap();
        let data: Vec<ByteArray> = chunk.iter().map(|w| ByteArray::from(w.as_str())).collect();
        let levels = vec![1i16; chunk.len()];
        let levels = layout.optional.then_some(levels.as_slice());
        column.typed::<ByteArrayType>().write_batch(&data, levels, None).unwrap();
        column.close().unwrap();
        rows.close().unwrap();
    }
    writer.into_inner().unwrap()
}

#[test]
fn every_layout_reads_as_the_parquet_crate_reads_it() {
    let values = words(5_000);
    let mut failed = Vec::new();
    for bits in 0..16 {
        let layout =
            Layout { optional: bits & 1 != 0, dictionary: bits & 2 != 0, v2: bits & 4 != 0, snappy: bits & 8 != 0 };
        let file = written(&values, &layout);
        match strings(&file, "word") {
            Ok(ours) => {
                assert_eq!(ours, reference(&file, "word"), "layout {bits:04b}");
                assert_eq!(ours, values, "layout {bits:04b}");
            }
            Err(e) => failed.push(format!("{bits:04b}: {e}")),
        }
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn the_tiny_wheel_s_vocabulary_reads() {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(super::tests::tiny_wheel()).unwrap()).unwrap();
    let mut member = archive.by_name("tiny_space/data/index.parquet").unwrap();
    let mut file = Vec::new();
    std::io::Read::read_to_end(&mut member, &mut file).unwrap();
    // Written by pyarrow (make_tiny_wheel.py): Snappy, dictionary, data page v1, optional.
    assert_eq!(strings(&file, "index").unwrap(), reference(&file, "index"));
    assert_eq!(strings(&file, "index").unwrap(), super::tests::TINY_WORDS);
}

#[test]
fn what_it_cannot_read_is_an_error_naming_it() {
    let layout = Layout { optional: true, dictionary: true, v2: false, snappy: true };
    let file = written(&words(50), &layout);
    assert!(strings(&file, "nope").unwrap_err().0.contains("no column named \"nope\""));
    assert!(strings(&file, "id").unwrap_err().0.contains("does not hold strings"));
    assert!(strings(b"PAR1 not really PAR1", "word").is_err());
    assert!(strings(&file[..file.len() / 2], "word").unwrap_err().0.contains("not a Parquet file"));
}

#[test]
fn damaged_files_are_errors_not_panics() {
    for bits in [0b0000, 0b0011, 0b0111, 0b1011, 0b1111] {
        let layout =
            Layout { optional: bits & 1 != 0, dictionary: bits & 2 != 0, v2: bits & 4 != 0, snappy: bits & 8 != 0 };
        let file = written(&words(400), &layout);
        let mut state = 0x9e37_79b9_7f4a_7c15u64 ^ bits;
        for _ in 0..2_000 {
            // splitmix64: a damaged byte or two anywhere in the file.
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            let mut damaged = file.clone();
            let at = (z as usize) % damaged.len();
            damaged[at] ^= (z >> 56) as u8 | 1;
            if z & 1 == 0 {
                let other = (z >> 8) as usize % damaged.len();
                damaged[other] = (z >> 40) as u8;
            }
            // Either the words (the damage missed what is read) or an error; never a panic.
            if let Ok(read) = strings(&damaged, "word") {
                assert_eq!(read.len(), 400);
            }
        }
    }
}
