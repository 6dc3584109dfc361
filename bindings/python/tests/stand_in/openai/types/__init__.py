from .batch import Batch
from .file_object import FileObject
