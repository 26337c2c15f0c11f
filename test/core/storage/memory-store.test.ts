import { MemoryObjectStore } from '../../../core/storage/memory-store';
import { describeObjectStoreContract } from '../../support/object-store-contract';

describeObjectStoreContract('memory', () => new MemoryObjectStore('test-bucket'));
