import {removeTempDirs} from './paths.js'

afterAll(() => removeTempDirs())
